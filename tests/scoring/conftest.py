from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_item, put_in_state
from xinbao.items.models import Item, State
from xinbao.publishing.models import IssueEntry, Publication, PublicationIssue
from xinbao.scoring.models import RuleSet

YEAR = 2026
_numbers = itertools.count(1)

BASE_RULES: dict[str, Any] = {
    "adoption": {
        "periodical": {"county": 2, "city": 10, "province": 20, "central": 40},
        "web_column": {"county": 1, "city": 1},
        "media": {"county": 1, "city": 3},
    },
    "instruction": {"county": 5, "city": 10, "province": 20, "central": 20},
    "multi_level": "highest_only",
    "joint_split": "equal",
}


@pytest.fixture
def ruleset(county: County) -> Callable[..., RuleSet]:
    """Install the county's rule set for ``YEAR``: ``BASE_RULES`` with overrides."""

    def make(**overrides: Any) -> RuleSet:
        rules = {**BASE_RULES, **overrides}
        rs, _ = RuleSet.objects.update_or_create(
            department=county.dept, year=YEAR, defaults={"name": "测试考核办法", "rules": rules}
        )
        return rs

    return make


@pytest.fixture
def publications(county: County) -> dict[str, Publication]:
    city = county.dept.parent
    assert city is not None
    return {
        "county": Publication.objects.create(
            department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
        ),
        "web": Publication.objects.create(
            department=county.dept, name="党建网专栏", kind=Publication.Kind.WEB_COLUMN
        ),
        "city": Publication.objects.create(
            department=city, name="澜江组工", kind=Publication.Kind.PERIODICAL
        ),
    }


@pytest.fixture
def submitted(county: County) -> Callable[..., Item]:
    """An item of town A (by default) submitted on ``on`` and adopted."""

    def make(
        on: datetime.date = datetime.date(YEAR, 3, 10), officer: Any = None, **fields: Any
    ) -> Item:
        item = make_item(officer=officer or county.officer_a, **fields)
        at = timezone.make_aware(datetime.datetime.combine(on, datetime.time(10)))
        return put_in_state(item, State.ADOPTED, submitted_at=at, decided_at=at)

    return make


def carry(
    item: Item, publication: Publication, on: datetime.date = datetime.date(YEAR, 3, 20)
) -> IssueEntry:
    """Carry ``item`` in a published issue of ``publication`` dated ``on``."""
    number = next(_numbers)
    issue = PublicationIssue.objects.create(
        publication=publication,
        state=PublicationIssue.State.PUBLISHED,
        year=on.year,
        number=number,
        total_number=300 + number,
        issue_date=on,
        published_at=timezone.now(),
        created_by=item.created_by,
    )
    return IssueEntry.objects.create(issue=issue, item=item, headline=item.title, text=item.body)
