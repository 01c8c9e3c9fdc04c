"""Mail and webhook deliveries: sent in the background after commit, in Chinese, retried with
backoff when the mail server or the robot fails, never breaking the action that caused them."""

from __future__ import annotations

import datetime
import socket
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from tests.conftest import County
from tests.notify.conftest import Robot
from xinbao.notify.deliveries import (
    RETRY_GRACE,
    backoff,
    do_delivery_attempt,
    retry_due_deliveries,
)
from xinbao.notify.models import Delivery, DepartmentWebhook, Kind, Notification
from xinbao.notify.services import email_preference_set, notify_users, webhook_save
from xinbao.topics.models import Topic
from xinbao.topics.services import TopicData, topic_create

pytestmark = pytest.mark.django_db


def issue_topic(county: County, title: str = "基层治理新做法") -> Topic:
    return topic_create(
        actor=county.editor,
        data=TopicData(
            title=title,
            wanted="请反映本单位基层治理中的新做法。",
            deadline=timezone.now() + datetime.timedelta(days=3),
            targeting=Topic.Targeting.LIST,
            units=[county.town_a],
        ),
    )


def with_email(county: County) -> None:
    for user in (county.officer_a, county.officer_a2, county.leader_a):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_new_topic_mail_is_in_chinese_with_the_link(
    county: County, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(county)
    with django_capture_on_commit_callbacks(execute=True):
        topic = issue_topic(county)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lead_a@example.cn",
        "off_a2@example.cn",
        "off_a@example.cn",
    ]
    message = mail.outbox[0]
    assert message.subject.startswith("【信报·新约稿】新约稿:基层治理新做法")
    assert "同志:" in message.body
    assert f"http://127.0.0.1:8000/topics/{topic.pk}/" in message.body
    assert "邮件设置" in message.body
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}


def test_nothing_is_sent_before_the_transaction_commits(
    county: County, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(county)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issue_topic(county)
    assert mail.outbox == []
    # one task per mail, enqueued on commit (other apps add their own after-commit work)
    enqueues = [
        c for c in callbacks if getattr(getattr(c, "func", None), "__name__", "") == "enqueue"
    ]
    assert len(enqueues) == 3
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 3


def test_users_choose_which_kinds_come_by_mail(
    county: County, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(county)
    email_preference_set(user=county.officer_a, kinds=[Kind.NOTICE])
    with django_capture_on_commit_callbacks(execute=True):
        issue_topic(county)
        notify_users(recipients=[county.officer_a.pk], text="学习资料已发布", kind=Kind.NOTICE)
    to_a = [m.subject for m in mail.outbox if m.to == ["off_a@example.cn"]]
    assert to_a == ["【信报·通知公告与学习资料】学习资料已发布"]
    assert len(mail.outbox) == 3  # the other two kept the defaults (topics by mail)
    assert Notification.objects.filter(recipient=county.officer_a).count() == 2  # inbox: both


def test_failing_smtp_server_does_not_break_the_action_and_is_retried(
    county: County,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_email(county)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True):
        topic = issue_topic(county)
    assert Topic.objects.filter(pk=topic.pk).exists()
    deliveries = list(Delivery.objects.order_by("pk"))
    assert len(deliveries) == 3
    for delivery in deliveries:
        assert delivery.state == Delivery.State.PENDING
        assert delivery.attempts == 1
        assert "ConnectionRefusedError" in delivery.last_error
        assert delivery.next_attempt_at > timezone.now()
    # The mail server is back; once the retry time has come the periodic job resends them.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert retry_due_deliveries(timezone.now()) == 0  # not due yet
    later = timezone.now() + backoff(1) + RETRY_GRACE
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert retry_due_deliveries(later) == 3
    assert len(mail.outbox) == 3
    assert list(Delivery.objects.values_list("state", "attempts")) == [("sent", 2)] * 3


def test_backoff_doubles_and_gives_up_after_the_last_attempt(county: County, settings: Any) -> None:
    settings.XINBAO_DELIVERY_BACKOFF_SECONDS = 60
    settings.XINBAO_DELIVERY_MAX_ATTEMPTS = 3
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30) == datetime.timedelta(hours=6)
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.WEBHOOK,
        address=f"http://127.0.0.1:{free_port()}/",
        subject="测试",
        body="{}",
        next_attempt_at=timezone.now(),
    )
    now = timezone.now()
    states = []
    for _ in range(3):
        states.append(do_delivery_attempt(delivery.pk, now=now))
        delivery.refresh_from_db()
        now = delivery.next_attempt_at
    assert states == [Delivery.State.PENDING, Delivery.State.PENDING, Delivery.State.FAILED]
    assert delivery.attempts == 3
    assert do_delivery_attempt(delivery.pk, now=now + datetime.timedelta(days=1)) == ""


def test_webhook_is_retried_until_the_robot_answers(
    county: County, robot: Robot, django_capture_on_commit_callbacks: Any
) -> None:
    robot.failures = 1
    webhook_save(actor=county.editor, url=robot.url, is_active=True)
    with django_capture_on_commit_callbacks(execute=True):
        topic = issue_topic(county, title="冬训工作约稿")
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBHOOK)
    assert robot.statuses == [500]
    assert delivery.state == Delivery.State.PENDING
    assert (delivery.attempts, delivery.last_error) == (1, "DeliveryFailed: HTTP 500")
    assert do_delivery_attempt(delivery.pk) == ""  # not due yet: the robot is not hammered
    assert do_delivery_attempt(delivery.pk, now=delivery.next_attempt_at) == Delivery.State.SENT
    assert robot.statuses == [500, 200]
    content = robot.received[-1]["text"]["content"]
    assert robot.received[-1]["msgtype"] == "text"
    assert content.startswith("【约稿:冬训工作约稿】")
    assert f"http://127.0.0.1:8000/topics/{topic.pk}/" in content
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.sent_at is not None


def test_robot_refusal_in_the_answer_counts_as_a_failure(county: County, robot: Robot) -> None:
    robot.failures = 0
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.WEBHOOK,
        address=robot.url,
        subject="测试",
        body='{"msgtype": "text", "text": {"content": "测试"}}',
        next_attempt_at=timezone.now(),
    )
    assert do_delivery_attempt(delivery.pk) == Delivery.State.SENT
    robot.failures = 99  # from now on HTTP 500 with errcode 1
    delivery.state, delivery.next_attempt_at = Delivery.State.PENDING, timezone.now()
    delivery.save()
    assert do_delivery_attempt(delivery.pk) == Delivery.State.PENDING


def test_inactive_or_removed_webhook_posts_nothing(county: County, robot: Robot) -> None:
    webhook_save(actor=county.editor, url=robot.url, is_active=False)
    issue_topic(county)
    assert not Delivery.objects.filter(channel=Delivery.Channel.WEBHOOK).exists()
    webhook_save(actor=county.editor, url="", is_active=True)
    assert not DepartmentWebhook.objects.exists()
