"""The in-app inbox: unread count in the header, mark read (one and all), links to any page,
the e-mail preferences page and the department's webhook page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import County
from tests.factories import make_item
from xinbao.audit.models import AuditRecord
from xinbao.notify.models import DepartmentWebhook, EmailPreference, Kind, Notification
from xinbao.notify.services import notifications_mark_read, notify_unit, notify_users

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_header_shows_unread_count_from_one_indexed_query(county: County) -> None:
    client = client_for(county.editor)
    page = client.get("/messages/").content.decode()
    assert 'class="badge unread-count"' not in page
    notify_users(recipients=[county.editor.pk], text="一", kind=Kind.GENERAL)
    notify_users(recipients=[county.editor.pk, county.officer_a.pk], text="二")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/messages/").content.decode()
    assert '<span class="badge unread-count" title="未读消息">2</span>' in page
    counts = [
        q["sql"] for q in queries if "COUNT(" in q["sql"] and "notify_notification" in q["sql"]
    ]
    assert any('"read_at" IS NULL' in sql for sql in counts)
    plan = connection.cursor()
    if connection.vendor == "sqlite":
        plan.execute(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM notify_notification "
            "WHERE recipient_id = %s AND read_at IS NULL",
            [county.editor.pk],
        )
        assert "USING COVERING INDEX" in " ".join(str(row) for row in plan.fetchall())


def test_mark_one_read_and_all_read(county: County) -> None:
    (first,) = notify_users(recipients=[county.officer_a.pk], text="x")
    (second,) = notify_users(recipients=[county.officer_a.pk], text="y")
    other = notify_users(recipients=[county.officer_b.pk], text="z")[0]
    client = client_for(county.officer_a)
    assert client.post(f"/messages/{first.pk}/read/").status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert client.post(f"/messages/{other.pk}/read/").status_code == 404  # not hers
    other.refresh_from_db()
    assert other.read_at is None
    client.post("/messages/read/")
    assert not Notification.objects.filter(recipient=county.officer_a, read_at=None).exists()
    assert notifications_mark_read(user=county.officer_a) == 0


def test_opening_a_message_marks_it_read_and_follows_its_link(county: County) -> None:
    item = make_item(officer=county.officer_a)
    notify_unit(unit=county.town_a, text="您单位的信息获批示。", item=item, kind=Kind.RECOGNITION)
    message = Notification.objects.get(recipient=county.officer_a)
    assert message.url == f"/items/{item.pk}/"
    response = client_for(county.officer_a).post(f"/messages/{message.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/items/{item.pk}/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_links_lead_to_topics_and_notices_not_only_items(county: County) -> None:
    notify_users(recipients=[county.officer_a.pk], text="通知", kind=Kind.NOTICE, url="/notices/7/")
    page = client_for(county.officer_a).get("/messages/").content.decode()
    message = Notification.objects.get()
    assert f'action="/messages/{message.pk}/"' in page
    assert "通知公告与学习资料" in page  # the kind is shown
    response = client_for(county.officer_a).post(f"/messages/{message.pk}/")
    assert response["Location"] == "/notices/7/"


def test_outside_link_is_not_followed(county: County) -> None:
    message = notify_users(recipients=[county.officer_a.pk], text="x", url="https://evil.example/")[
        0
    ]
    response = client_for(county.officer_a).post(f"/messages/{message.pk}/")
    assert response["Location"] == "/messages/"


def test_inbox_query_count_does_not_grow_with_messages(
    county: County, django_assert_num_queries: Any
) -> None:
    client = client_for(county.officer_a)
    notify_users(recipients=[county.officer_a.pk], text="一")
    client.get("/messages/")
    with CaptureQueriesContext(connection) as small:
        client.get("/messages/")
    notify_users(recipients=[county.officer_a.pk], text="二")
    for n in range(20):
        notify_users(recipients=[county.officer_a.pk], text=f"消息{n}", url="/topics/")
    with django_assert_num_queries(len(small)):
        client.get("/messages/")


def test_preferences_page_saves_the_chosen_kinds(county: County) -> None:
    client = client_for(county.officer_a)
    page = client.get("/messages/preferences/").content.decode()
    assert "还没有电子邮箱" in page
    assert page.count("checked") == 7  # the default kinds (reminders and notices)
    response = client.post("/messages/preferences/", {"kinds": ["notice", "feedback_due"]})
    assert response.status_code == 302
    assert EmailPreference.objects.get(user=county.officer_a).kinds == ["feedback_due", "notice"]
    response = client.post("/messages/preferences/", {"kinds": ["nonsense"]})
    assert response.status_code == 200 and "nonsense" in response.content.decode()
    assert EmailPreference.objects.get(user=county.officer_a).kinds == ["feedback_due", "notice"]


def test_webhook_is_editable_by_the_departments_editors_only(county: County) -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    assert client_for(county.officer_a).get("/messages/webhook/").status_code in (403, 404)
    assert client_for(county.dept_leader).get("/messages/webhook/").status_code in (403, 404)
    client = client_for(county.editor)
    response = client.post("/messages/webhook/", {"url": "ftp://x", "is_active": "on"})
    assert "http:// 或 https://" in response.content.decode()
    assert 'value="ftp://x"' in response.content.decode()  # what was typed is kept
    assert not DepartmentWebhook.objects.exists()
    client.post("/messages/webhook/", {"url": url, "is_active": "on"})
    hook = DepartmentWebhook.objects.get()
    assert (hook.department, hook.url, hook.is_active) == (county.dept, url, True)
    assert AuditRecord.objects.filter(action="notify.webhook_save").exists()
    client_for(county.other_editor).post("/messages/webhook/", {"url": "", "is_active": ""})
    assert DepartmentWebhook.objects.filter(department=county.dept).exists()


def test_migration_links_existing_item_messages_to_the_item_page(county: County) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "xinbao.notify.migrations.0002_notification_link_email_webhook_deliveries_notices"
    )
    item = make_item(officer=county.officer_a)
    old = Notification.objects.create(recipient=county.officer_a, item=item, text="旧消息")
    plain = Notification.objects.create(recipient=county.officer_a, text="无链接")
    migration.link_item_messages(apps, None)
    old.refresh_from_db()
    plain.refresh_from_db()
    assert (old.url, plain.url) == (f"/items/{item.pk}/", "")
