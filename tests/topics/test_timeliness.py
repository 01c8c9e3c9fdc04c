"""Urgency clocks and timeliness (时效): durations stored from the workflow, 迟报, the inbox
clock, escalation to the department leader (once), the per-unit summary."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_item
from tests.topics.conftest import Clock
from xinbao.items.errors import InvalidInput
from xinbao.items.models import Item, ItemEvent, Urgency
from xinbao.items.services import ItemData, item_update, transition
from xinbao.notify.models import Notification
from xinbao.topics.models import Timeliness
from xinbao.topics.queries import timeliness_by_unit
from xinbao.topics.services import escalate_overdue
from xinbao.topics.timeliness import percentile, remaining_text, span_text

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)


def urgent(
    county: County, clock: Clock, *, event_ago: datetime.timedelta, **fields: object
) -> Item:
    return make_item(
        officer=county.officer_a,
        title=fields.pop("title", "甲镇突发山洪,党员突击队连夜转移群众"),
        urgency=fields.pop("urgency", Urgency.URGENT),
        event_time=clock.now - event_ago,
        **fields,
    )


def test_durations_are_stored_as_the_item_moves(county: County, clock: Clock) -> None:
    item = urgent(county, clock, event_ago=90 * M)
    event_at = item.event_time
    assert item.event_date == timezone.localdate(event_at)
    transition(item=item, actor=county.officer_a, action="submit")
    record = Timeliness.objects.get(item=item)
    assert (record.to_submit, record.submit_due_at) == (90 * M, event_at + 2 * H)
    assert not record.submitted_late and record.first_action_at is None
    assert record.act_due_at == clock.now + 2 * H
    clock.advance(minutes=40)
    transition(item=item, actor=county.editor, action="start_review")
    clock.advance(hours=3)
    transition(item=item, actor=county.editor, action="adopt")
    record.refresh_from_db()
    assert (record.first_action, record.to_first_action) == ("start_review", 40 * M)
    assert record.to_adoption == 3 * H + 40 * M
    assert not record.acted_late and not record.late_report


def test_very_urgent_limits_and_a_late_arrival(county: County, clock: Clock) -> None:
    item = urgent(county, clock, event_ago=45 * M, urgency=Urgency.VERY_URGENT)
    transition(item=item, actor=county.officer_a, action="submit")
    record = Timeliness.objects.get(item=item)
    assert record.submit_due_at == item.event_time + 30 * M  # type: ignore[operator]
    assert record.submitted_late
    assert record.act_due_at == clock.now + 30 * M


def test_signoff_time_counts_towards_arrival(county: County, clock: Clock) -> None:
    item = make_item(
        officer=county.officer_b, urgency=Urgency.URGENT, event_time=clock.now - 10 * M
    )
    transition(item=item, actor=county.officer_b, action="submit")
    assert not Timeliness.objects.filter(item=item).exists()  # still in the unit
    clock.advance(hours=3)
    transition(item=item, actor=county.leader_b, action="approve")
    record = Timeliness.objects.get(item=item)
    assert record.to_submit == 3 * H + 10 * M and record.submitted_late


def test_late_report_after_more_than_the_configured_days(county: County, clock: Clock) -> None:
    today = timezone.localdate()
    on_limit = make_item(officer=county.officer_a, event_date=today - datetime.timedelta(days=7))
    past_limit = make_item(officer=county.officer_a, event_date=today - datetime.timedelta(days=8))
    for item in (on_limit, past_limit):
        transition(item=item, actor=county.officer_a, action="submit")
    records = {r.item_id: r for r in Timeliness.objects.all()}
    assert (records[on_limit.pk].report_lag_days, records[on_limit.pk].late_report) == (7, False)
    assert (records[past_limit.pk].report_lag_days, records[past_limit.pk].late_report) == (8, True)
    # Only the date is known: the duration runs from the day's start; no urgent clock.
    assert records[past_limit.pk].event_precise is False
    assert records[past_limit.pk].submit_due_at is None


def test_editor_correcting_the_event_time_recomputes(county: County, clock: Clock) -> None:
    item = urgent(county, clock, event_ago=30 * M)
    item = transition(item=item, actor=county.officer_a, action="submit")
    data = ItemData(
        title=item.title,
        body=item.body,
        category=item.category,
        urgency=item.urgency,
        event_time=clock.now - 5 * H,
    )
    item_update(item=item, actor=county.editor, data=data, version=item.version)
    record = Timeliness.objects.get(item=item)
    assert record.to_submit == 5 * H and record.submitted_late
    assert record.first_action == "start_review"  # the editor's save started the review


def test_event_time_in_the_future_is_refused(county: County, clock: Clock) -> None:
    with pytest.raises(InvalidInput, match="不能晚于现在"):
        make_item(officer=county.officer_a, event_time=clock.now + H)


def test_changing_only_the_date_drops_the_old_moment(county: County, clock: Clock) -> None:
    item = urgent(county, clock, event_ago=2 * H)
    data = ItemData(
        title=item.title,
        body=item.body,
        category=item.category,
        event_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    item = item_update(item=item, actor=county.officer_a, data=data, version=item.version)
    assert item.event_time is None
    assert item.event_date == timezone.localdate() - datetime.timedelta(days=3)


def test_withdrawn_and_resent_item_restarts_the_editors_clock(county: County, clock: Clock) -> None:
    item = urgent(county, clock, event_ago=10 * M)
    first = clock.now
    transition(item=item, actor=county.officer_a, action="submit")
    clock.advance(minutes=20)
    transition(item=item, actor=county.officer_a, action="withdraw")
    resent = clock.advance(minutes=20)
    transition(item=item, actor=county.officer_a, action="submit")
    record = Timeliness.objects.get(item=item)
    assert record.submitted_at == first  # the department first heard then
    assert record.act_due_at == resent + 2 * H


# Escalation.


def test_overdue_urgent_items_escalate_to_department_leaders_once(
    county: County, clock: Clock
) -> None:
    waiting = urgent(county, clock, event_ago=10 * M, title="甲镇紧急信息")
    handled = urgent(county, clock, event_ago=10 * M, title="已处理的紧急信息")
    normal = make_item(officer=county.officer_a, title="一般信息")
    for item in (waiting, handled, normal):
        transition(item=item, actor=county.officer_a, action="submit")
    transition(item=handled, actor=county.editor, action="start_review")
    assert escalate_overdue(clock.now + 2 * H) == 0  # exactly at the limit: not yet
    later = clock.now + 2 * H + 10 * M
    assert escalate_overdue(later) == 1
    assert escalate_overdue(later) == 0
    assert escalate_overdue(later + H) == 0
    message = Notification.objects.get()
    assert (message.recipient, message.item_id) == (county.dept_leader, waiting.pk)
    assert "紧急信息超时未处理" in message.text and "10 分钟" in message.text
    assert Timeliness.objects.get(item=waiting).escalated_at == later


def test_escalation_survives_recomputation(county: County, clock: Clock) -> None:
    item = urgent(county, clock, event_ago=10 * M)
    transition(item=item, actor=county.officer_a, action="submit")
    escalate_overdue(clock.now + 3 * H)
    call_command("rebuild_timeliness", stdout=StringIO())
    assert Timeliness.objects.get(item=item).escalated_at is not None
    assert escalate_overdue(clock.now + 4 * H) == 0


def test_rebuild_follows_rewritten_event_times(county: County, clock: Clock) -> None:
    item = urgent(county, clock, event_ago=10 * M)
    transition(item=item, actor=county.officer_a, action="submit")
    ItemEvent.objects.filter(item=item).update(created_at=clock.now + 5 * H)  # as demo data does
    out = StringIO()
    call_command("rebuild_timeliness", stdout=out)
    assert "1 条信息" in out.getvalue()
    assert Timeliness.objects.get(item=item).to_submit == 5 * H + 10 * M


# Clocks as text and in the inbox.


def test_clock_texts() -> None:
    now = timezone.now()
    assert remaining_text(
        now + datetime.timedelta(days=2, hours=3, minutes=5), now, late="已逾期"
    ) == ("剩 2 天 3 小时")
    assert remaining_text(now + 25 * M, now, late="超时") == "剩 25 分钟"
    assert remaining_text(now + 24 * M + datetime.timedelta(seconds=1), now, late="超时") == (
        "剩 25 分钟"
    )
    assert remaining_text(now - 10 * M, now, late="超时") == "超时 10 分钟"
    assert remaining_text(now - datetime.timedelta(days=1, hours=5), now, late="已逾期") == (
        "已逾期 1 天"
    )
    assert span_text(3600 * 5 + 60 * 7) == "5 小时 7 分钟"


def test_inbox_shows_the_remaining_time_of_waiting_urgent_items(
    county: County, clock: Clock
) -> None:
    soon = urgent(county, clock, event_ago=10 * M, title="剩余时间的紧急信息")
    late = urgent(
        county, clock, event_ago=10 * M, title="超时的特急信息", urgency=Urgency.VERY_URGENT
    )
    transition(item=late, actor=county.officer_a, action="submit")
    clock.advance(minutes=40)  # the 30-minute limit is 10 minutes past
    transition(item=soon, actor=county.officer_a, action="submit")
    clock.advance(minutes=95)  # 25 minutes of 2 hours left
    client = Client()
    client.force_login(county.editor)
    page = client.get("/inbox/").content.decode()
    assert '<span class="clock">剩 25 分钟</span>' in page
    assert '<span class="clock overdue">超时 1 小时 45 分钟</span>' in page


# Summary.


def test_percentiles_are_nearest_rank() -> None:
    values = [datetime.timedelta(minutes=n) for n in range(1, 11)]
    assert percentile(values, 90) == datetime.timedelta(minutes=9)
    assert percentile(values[:1], 90) == datetime.timedelta(minutes=1)
    assert percentile([], 90) is None


def test_per_unit_summary_medians_and_p90(county: County, clock: Clock) -> None:
    start = clock.now
    for minutes in (10, 20, 30, 40, 200):
        clock.set(start)
        item = urgent(county, clock, event_ago=minutes * M)
        transition(item=item, actor=county.officer_a, action="submit")
        clock.advance(minutes=minutes)
        transition(item=item, actor=county.editor, action="start_review")
    old = make_item(officer=county.officer_b, event_date=timezone.localdate())
    clock.set(start - datetime.timedelta(days=400))
    transition(item=old, actor=county.officer_b, action="submit")  # more than 12 months ago
    clock.set(start)
    rows = {row.unit.name: row for row in timeliness_by_unit(county.dept, clock.now)}
    assert list(rows) == ["甲镇"]
    row = rows["甲镇"]
    assert (row.items, row.urgent, row.urgent_late) == (5, 5, 1)
    assert (row.submit_median, row.submit_p90) == (30 * M, 200 * M)
    assert (row.action_median, row.action_p90) == (30 * M, 200 * M)
    client = Client()
    client.force_login(county.dept_leader)
    page = client.get("/timeliness/").content.decode()
    assert "30 分钟" in page and "3 小时 20 分钟" in page


def test_an_item_sent_again_after_a_return_has_no_clock(county: County, clock: Clock) -> None:
    """Through sign-off a resubmission arrives as "resubmitted"; its first action is past."""
    item = make_item(
        officer=county.officer_b,
        title="乙镇紧急信息退回后重报",
        urgency=Urgency.URGENT,
        event_time=clock.now - 10 * M,
    )
    for actor, action in (
        (county.officer_b, "submit"),
        (county.leader_b, "approve"),
        (county.editor, "return"),
        (county.officer_b, "resubmit"),
        (county.leader_b, "approve"),
    ):
        transition(item=item, actor=actor, action=action, comment="请补充")
    item.refresh_from_db()
    assert item.state == "resubmitted"
    assert escalate_overdue(clock.now + 10 * H) == 0
    client = Client()
    client.force_login(county.editor)
    page = client.get("/inbox/").content.decode()
    assert "乙镇紧急信息退回后重报" in page and 'class="clock' not in page
