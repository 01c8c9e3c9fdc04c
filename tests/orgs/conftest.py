from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.factories import make_item
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.orgs.models import User
from xinbao.scoring.models import FactType, ScoreEntry

_facts = itertools.count(1)


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def adopted(county: County) -> Callable[..., Item]:
    """An item written by ``officer`` (town A's primary officer by default), adopted."""

    def make(title: str = "甲镇推行党员积分管理", officer: Any = None, **fields: Any) -> Item:
        officer = officer or county.officer_a
        item = make_item(officer=officer, title=title, **fields)
        transition(item=item, actor=officer, action="submit")
        if officer.home_unit.requires_signoff:
            leader = county.leader_b
            transition(item=item, actor=leader, action="approve")
        return transition(item=item, actor=county.editor, action="adopt")

    return make


def score(
    item: Item,
    points: str | int,
    *,
    year: int = 2026,
    level: str = "county",
    fact_type: str = FactType.ADOPTION,
) -> ScoreEntry:
    """A ledger line for ``item`` (the ledger's own computation is tested in tests/scoring)."""
    return ScoreEntry.objects.create(
        department=item.department,
        year=year,
        unit=item.unit,
        item=item,
        fact_type=fact_type,
        fact_id=f"f{next(_facts)}",
        fact_date=datetime.date(year, 5, 1),
        level=level,
        points=Decimal(points),
        reason="测试",
        rule="test",
        computed_at=timezone.now(),
    )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
