"""R30 (one transaction per multi-row change, side effects only with the commit) and R31's
settings and idempotent API writes."""

from __future__ import annotations

import datetime
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.conftest import County
from xinbao.api.services import token_create
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Item
from xinbao.notify.models import Notification
from xinbao.ops.models import IdempotencyKey
from xinbao.topics.models import Topic, TopicTarget
from xinbao.topics.services import TopicData, topic_create

pytestmark = pytest.mark.django_db

BODY = {
    "title": "甲镇开展党员积分管理",
    "body": "今年以来,甲镇坚持把党员教育作为基础工程。",
    "category": "动态",
}


def post(client: Client, token: str, body: Any, key: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(
        "/api/v1/items", json.dumps(body), content_type="application/json", headers=headers
    )


def test_r30_a_failing_step_leaves_no_partial_rows_and_no_notification(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Topic + targets + notifications + audit are one change: the audit step fails last."""
    from xinbao.topics import services

    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(services, "audit_record", refuse)
    counts = (Topic.objects.count(), TopicTarget.objects.count(), Notification.objects.count())
    data = TopicData(
        title="基层党组织换届工作中的新做法",
        wanted="请反映本单位换届工作中的好做法。",
        deadline=timezone.now() + datetime.timedelta(days=3),
        targeting=Topic.Targeting.TOWNSHIPS,
    )
    with pytest.raises(RuntimeError):
        topic_create(actor=county.editor, data=data)
    after = (Topic.objects.count(), TopicTarget.objects.count(), Notification.objects.count())
    assert after == counts


def test_r30_notifications_exist_only_when_the_change_commits(
    county: County, django_capture_on_commit_callbacks: Any
) -> None:
    """In-app notices are rows of the same transaction (an outbox): a rollback takes them too."""
    data = TopicData(
        title="基层党组织换届工作中的新做法",
        wanted="请反映本单位换届工作中的好做法。",
        deadline=timezone.now() + datetime.timedelta(days=3),
        targeting=Topic.Targeting.TOWNSHIPS,
    )
    before = Notification.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        topic_create(actor=county.editor, data=data)
        assert Notification.objects.count() > before
        1 / 0  # noqa: B018 - the caller's transaction fails after the service returned
    assert Notification.objects.count() == before
    topic_create(actor=county.editor, data=data)
    assert Notification.objects.count() > before


def test_r31_sqlite_runs_in_wal_with_synchronous_full(tmp_path: Path) -> None:
    """The settings' connection options, applied to a database file."""
    options = dict(django_settings.DATABASES["default"].get("OPTIONS", {}))
    init = options.get("init_command") or (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"  # PostgreSQL runs: check the text
    )
    db = sqlite3.connect(tmp_path / "x.sqlite3")
    db.executescript(init)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert "synchronous=FULL" in init


def test_r31_same_idempotency_key_returns_the_first_response_and_creates_once(
    county: County,
) -> None:
    _, token = token_create(user=county.officer_a)
    client = Client()
    first = post(client, token, BODY, "key-0001")
    again = post(client, token, BODY, "key-0001")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Item.objects.filter(title=BODY["title"]).count() == 1
    assert AuditRecord.objects.filter(action="item.create").count() == 1
    other = post(client, token, BODY, "key-0002")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    plain = post(client, token, BODY, None)
    assert plain.status_code == 201
    assert Item.objects.filter(title=BODY["title"]).count() == 3


def test_r31_a_key_is_per_user(county: County) -> None:
    _, a = token_create(user=county.officer_a)
    _, b = token_create(user=county.officer_a2)
    client = Client()
    assert post(client, a, BODY, "shared-key").status_code == 201
    assert post(client, b, BODY, "shared-key").status_code == 201
    assert Item.objects.filter(title=BODY["title"]).count() == 2


def test_r31_a_key_reused_for_another_body_is_refused(county: County) -> None:
    _, token = token_create(user=county.officer_a)
    client = Client()
    assert post(client, token, BODY, "key-x").status_code == 201
    other = post(client, token, {**BODY, "title": "另一条信息"}, "key-x")
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    assert not Item.objects.filter(title="另一条信息").exists()


def test_r31_a_malformed_key_is_refused_and_nothing_is_created(county: County) -> None:
    _, token = token_create(user=county.officer_a)
    response = post(Client(), token, BODY, "x" * 101)
    assert response.status_code == 422
    assert not Item.objects.exists() and not IdempotencyKey.objects.exists()


def test_r31_a_failed_key_store_rolls_the_item_back(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(IdempotencyKey.objects, "create", refuse)
    _, token = token_create(user=county.officer_a)
    assert post(Client(), token, BODY, "key-r").status_code == 500
    assert not Item.objects.filter(title=BODY["title"]).exists()


def test_r31_postgresql_keeps_fsync_synchronous_commit_and_full_page_writes_on() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL settings; SQLite's are checked above")
    with connection.cursor() as cursor:
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            cursor.execute(f"SHOW {name}")
            assert cursor.fetchone()[0] == "on", name
