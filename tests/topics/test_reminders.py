"""Periodic reminders (``xinbao schedule --once``): each is sent when its moment has come, to the
right people, and never twice."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_item
from tests.topics.conftest import Clock, Extra, IssueTopic
from xinbao.items.services import ItemData, item_update, transition
from xinbao.notify.models import Notification
from xinbao.topics.models import SentReminder, Topic
from xinbao.topics.reminders import (
    remind_quiet_units,
    remind_returned_items,
    remind_topic_deadlines,
    remind_topic_missed,
    run_due_jobs,
)
from xinbao.topics.services import close_overdue, topic_decline

pytestmark = pytest.mark.django_db

D = datetime.timedelta(days=1)


def told(text: str) -> set[str]:
    return set(
        Notification.objects.filter(text__contains=text).values_list(
            "recipient__username", flat=True
        )
    )


def test_deadline_reminders_three_days_and_one_day_before_each_once(
    county: County, extra: Extra, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue(deadline=clock.now + 5 * D, title="冬训约稿")
    transition(
        item=make_item(officer=county.officer_a, topic_id=topic.pk),
        actor=county.officer_a,
        action="submit",
    )
    topic_decline(topic=topic, actor=county.officer_b, reason="本镇无此情况")
    Notification.objects.all().delete()  # the issuing messages
    assert remind_topic_deadlines(clock.now) == 0
    clock.set(topic.deadline - 3 * D)
    assert remind_topic_deadlines(clock.now) == 1
    assert told("冬训约稿") == {"off_c"}  # answered 甲镇 and declined 乙镇 are left alone
    assert "剩 3 天" in Notification.objects.get().text
    assert remind_topic_deadlines(clock.now + datetime.timedelta(hours=5)) == 0
    clock.set(topic.deadline - D + datetime.timedelta(minutes=1))
    assert remind_topic_deadlines(clock.now) == 1
    assert remind_topic_deadlines(clock.now) == 0
    assert Notification.objects.count() == 2
    assert remind_topic_deadlines(topic.deadline + datetime.timedelta(minutes=1)) == 0


def test_no_stale_reminders_for_a_short_topic_or_a_late_first_run(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    short = issue(deadline=clock.now + 2 * D, title="短期约稿")
    Notification.objects.all().delete()
    assert remind_topic_deadlines(clock.now) == 0  # its 3-day moment came before it was issued
    clock.set(short.deadline - datetime.timedelta(hours=2))
    assert remind_topic_deadlines(clock.now) == 5  # the people of 甲镇 (3) and 乙镇 (2), once
    texts = set(Notification.objects.values_list("text", flat=True))
    assert all("剩 2 小时" in text for text in texts)
    assert SentReminder.objects.filter(due_at=short.deadline - D).count() == 5
    assert not SentReminder.objects.filter(due_at=short.deadline - 3 * D).exists()


def test_missed_reminder_after_the_deadline_once(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue(title="换届约稿", targeting=Topic.Targeting.LIST, units=[county.town_a])
    Notification.objects.all().delete()
    clock.set(topic.deadline + datetime.timedelta(minutes=5))
    close_overdue(clock.now)
    assert remind_topic_missed(clock.now) == 3
    assert told("已于") == {"off_a", "off_a2", "lead_a"}
    assert remind_topic_missed(clock.now) == 0


def test_quiet_units_are_reminded_from_the_20th_once_a_month(
    county: County, extra: Extra, clock: Clock
) -> None:
    clock.set(timezone.make_aware(datetime.datetime(2026, 3, 19, 9, 0)))
    transition(item=make_item(officer=county.officer_a), actor=county.officer_a, action="submit")
    assert remind_quiet_units(clock.now) == 0
    clock.set(timezone.make_aware(datetime.datetime(2026, 3, 20, 8, 0)))
    remind_quiet_units(clock.now)
    quiet = told("本月还没有报送")
    assert "off_b" in quiet and "off_c" in quiet and "off_x" in quiet
    assert not {"off_a", "off_a2", "lead_a"} & quiet  # 甲镇 submitted this month
    assert remind_quiet_units(clock.now + D) == 0
    clock.set(timezone.make_aware(datetime.datetime(2026, 4, 21, 8, 0)))
    again = remind_quiet_units(clock.now)
    assert again > 0 and "off_a" in told("本月还没有报送")


def test_returned_items_untouched_for_five_days(county: County, clock: Clock) -> None:
    item = make_item(officer=county.officer_a, title="退回未改的信息")
    transition(item=item, actor=county.officer_a, action="submit")
    item = transition(item=item, actor=county.editor, action="return", comment="请补充数据")
    assert remind_returned_items(clock.now + 4 * D) == 0
    assert remind_returned_items(clock.now + 5 * D) == 1
    assert remind_returned_items(clock.now + 6 * D) == 0
    message = Notification.objects.get(text__contains="退回未改的信息")
    assert (message.recipient, message.item_id) == (county.officer_a, item.pk)
    # Touched, then idle again: a new reminder five days after the touch.
    clock.advance(days=6)
    data = ItemData(title=item.title, body=item.body + "补充。", category=item.category)
    item_update(item=item, actor=county.officer_a, data=data, version=item.version)
    assert remind_returned_items(clock.now + 4 * D) == 0
    assert remind_returned_items(clock.now + 5 * D) == 1


def test_schedule_once_twice_sends_nothing_the_second_time(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    issue(deadline=clock.now + 2 * D)
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="return", comment="请补充")
    clock.set(clock.now + 10 * D)
    before = Notification.objects.count()
    first = StringIO()
    call_command("schedule", once=True, stdout=first)
    after_first = Notification.objects.count()
    assert after_first > before and "定时任务完成" in first.getvalue()
    second = StringIO()
    call_command("schedule", once=True, stdout=second)
    assert Notification.objects.count() == after_first
    assert all(count == 0 for count in run_due_jobs(clock.now).values())
