"""Topics (约稿): targeting, read tracking, answers and outcomes at the deadline, declines, the
board, closing. Time is frozen with the ``clock`` fixture wherever a boundary matters."""

from __future__ import annotations

import datetime

import pytest

from tests.conftest import County
from tests.factories import make_item, make_unit
from tests.topics.conftest import Clock, Extra, IssueTopic
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Item
from xinbao.items.services import ItemData, item_update, transition
from xinbao.notify.models import Notification
from xinbao.orgs.models import Unit
from xinbao.topics.models import BoardState, Topic, TopicTarget
from xinbao.topics.queries import topic_board
from xinbao.topics.services import (
    close_overdue,
    do_target_refresh,
    topic_close,
    topic_decline,
    topic_mark_read,
)

pytestmark = pytest.mark.django_db

Outcome = TopicTarget.Outcome


def targets_of(topic: Topic) -> set[str]:
    return set(topic.targets.values_list("unit__name", flat=True))


def target(topic: Topic, unit: Unit) -> TopicTarget:
    return TopicTarget.objects.get(topic=topic, unit=unit)


def answer(topic: Topic, officer: object, title: str = "甲镇换届选举中推行“两推一选”") -> Item:
    """An officer writes an item in answer to ``topic`` (a draft)."""
    return make_item(officer=officer, title=title, topic_id=topic.pk)  # type: ignore[arg-type]


# Targeting.


def test_all_townships_expands_to_the_departments_townships_only(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    make_unit(name="停用镇", parent=county.dept, is_active=False)
    topic = issue(targeting=Topic.Targeting.TOWNSHIPS)
    assert targets_of(topic) == {"甲镇", "乙镇", "丙镇"}


def test_a_unit_kind_expands_to_that_kind(county: County, extra: Extra, issue: IssueTopic) -> None:
    topic = issue(targeting=Topic.Targeting.KIND, target_kind=Unit.Kind.DEPARTMENT)
    assert targets_of(topic) == {"县教育局", "县卫健局"}
    assert issue(
        targeting=Topic.Targeting.KIND, target_kind=Unit.Kind.OTHER
    ).targets.get().unit == (extra.school)


def test_a_hand_picked_list_is_exactly_the_list(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    topic = issue(targeting=Topic.Targeting.LIST, units=[county.town_a, extra.bureau_y])
    assert targets_of(topic) == {"甲镇", "县卫健局"}
    assert topic.targeting == Topic.Targeting.LIST and topic.target_kind == ""


def test_a_list_with_another_countys_unit_is_refused(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    stranger = county.other_officer.home_unit
    with pytest.raises(InvalidInput, match="本部门所辖单位"):
        issue(targeting=Topic.Targeting.LIST, units=[county.town_a, stranger])
    assert not Topic.objects.exists()


def test_targeting_that_matches_nobody_is_refused(county: County, issue: IssueTopic) -> None:
    with pytest.raises(InvalidInput, match="没有符合条件的单位"):
        issue(targeting=Topic.Targeting.KIND, target_kind=Unit.Kind.OTHER)


def test_only_department_staff_issue_topics(county: County, issue: IssueTopic) -> None:
    for outsider in (county.officer_a, county.leader_a, county.sysadmin):
        with pytest.raises(NotAllowed):
            issue(actor=outsider)
    issue(actor=county.dept_leader, title="部领导约稿")
    assert Topic.objects.get().created_by == county.dept_leader


def test_deadline_must_be_in_the_future(county: County, clock: Clock, issue: IssueTopic) -> None:
    with pytest.raises(InvalidInput, match="截止时间必须晚于现在"):
        issue(deadline=clock.now)


def test_issuing_tells_the_target_units_and_is_audited(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    topic = issue(targeting=Topic.Targeting.LIST, units=[county.town_a])
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"off_a", "off_a2", "lead_a"}
    assert topic.title in Notification.objects.first().text  # type: ignore[union-attr]
    record = AuditRecord.objects.get(action="topic.create")
    assert record.changes["units"] == [county.town_a.code]


# Read tracking.


def test_only_the_first_opening_by_the_unit_is_recorded(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    first = clock.advance(hours=1)
    assert topic_mark_read(topic=topic, actor=county.officer_a) is True
    clock.advance(hours=1)
    assert topic_mark_read(topic=topic, actor=county.officer_a2) is False
    assert topic_mark_read(topic=topic, actor=county.leader_a) is False
    row = target(topic, county.town_a)
    assert (row.read_at, row.read_by) == (first, county.officer_a)
    assert target(topic, county.town_b).read_at is None


def test_department_staff_reading_records_nothing(county: County, issue: IssueTopic) -> None:
    topic = issue()
    assert topic_mark_read(topic=topic, actor=county.editor) is False
    assert not TopicTarget.objects.exclude(read_at=None).exists()


# Answers and outcomes.


def test_answer_exactly_at_the_deadline_is_on_time_and_a_second_later_is_late(
    county: County, extra: Extra, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue(deadline=clock.now + datetime.timedelta(days=2))
    on_time, late = answer(topic, county.officer_a), answer(topic, extra.officer_c)
    clock.set(topic.deadline)
    transition(item=on_time, actor=county.officer_a, action="submit")
    clock.advance(seconds=1)
    transition(item=late, actor=extra.officer_c, action="submit")
    a, c = target(topic, county.town_a), target(topic, extra.town_c)
    assert (a.outcome, a.answered_at) == (Outcome.ANSWERED_ON_TIME, topic.deadline)
    assert (c.outcome, c.answered_at) == (
        Outcome.ANSWERED_LATE,
        topic.deadline + datetime.timedelta(seconds=1),
    )


def test_missed_is_set_only_after_the_deadline_and_only_once(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    assert close_overdue(topic.deadline) == 0
    assert set(topic.targets.values_list("outcome", flat=True)) == {Outcome.PENDING}
    after = topic.deadline + datetime.timedelta(seconds=1)
    assert close_overdue(after) == 2
    assert close_overdue(after) == 0
    assert set(topic.targets.values_list("outcome", flat=True)) == {Outcome.MISSED}


def test_a_late_answer_turns_missed_into_answered_late(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    item = answer(topic, county.officer_a)
    clock.set(topic.deadline + datetime.timedelta(days=1))
    close_overdue(clock.now)
    assert target(topic, county.town_a).outcome == Outcome.MISSED
    transition(item=item, actor=county.officer_a, action="submit")
    assert target(topic, county.town_a).outcome == Outcome.ANSWERED_LATE
    assert close_overdue(clock.now) == 0
    assert target(topic, county.town_a).outcome == Outcome.ANSWERED_LATE


def test_submitting_to_the_signoff_leader_counts_as_the_answer(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    item = answer(topic, county.officer_b)  # 乙镇 requires sign-off
    sent = clock.advance(hours=2)
    transition(item=item, actor=county.officer_b, action="submit")
    clock.advance(days=5)  # the leader signs after the deadline
    transition(item=item, actor=county.leader_b, action="approve")
    row = target(topic, county.town_b)
    assert (row.outcome, row.answered_at) == (Outcome.ANSWERED_ON_TIME, sent)


def test_a_withdrawn_answer_no_longer_counts(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    item = answer(topic, county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    assert target(topic, county.town_a).answered_at is not None
    transition(item=item, actor=county.officer_a, action="withdraw")
    row = target(topic, county.town_a)
    assert (row.outcome, row.answered_at) == (Outcome.PENDING, None)
    clock.set(topic.deadline + datetime.timedelta(hours=1))
    transition(item=item, actor=county.officer_a, action="submit")
    assert target(topic, county.town_a).outcome == Outcome.ANSWERED_LATE


def test_the_earliest_of_several_answers_counts_and_adoption_is_recorded(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    first, second = answer(topic, county.officer_a), answer(topic, county.officer_a2, "第二篇")
    at = clock.advance(hours=1)
    transition(item=first, actor=county.officer_a, action="submit")
    clock.advance(hours=1)
    transition(item=second, actor=county.officer_a2, action="submit")
    adopted = clock.advance(hours=1)
    transition(item=second, actor=county.editor, action="adopt")
    row = target(topic, county.town_a)
    assert (row.answered_at, row.adopted_at) == (at, adopted)
    board = topic_board(topic, clock.now)
    assert {r.target.unit.name: r.state for r in board.rows}["甲镇"] is BoardState.ADOPTED


def test_unlinked_items_and_other_units_do_not_answer(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    topic = issue(targeting=Topic.Targeting.LIST, units=[county.town_a])
    plain = make_item(officer=county.officer_a)
    transition(item=plain, actor=county.officer_a, action="submit")
    assert target(topic, county.town_a).answered_at is None
    with pytest.raises(InvalidInput, match="未发给本单位"):
        answer(topic, extra.officer_c)


def test_the_topic_is_chosen_in_draft_and_kept_once_sent(county: County, issue: IssueTopic) -> None:
    topic, other = issue(), issue(title="另一个约稿")
    item = answer(topic, county.officer_a)

    def data(topic_id: int | None) -> ItemData:
        return ItemData(title=item.title, body=item.body, category=item.category, topic_id=topic_id)

    item = item_update(item=item, actor=county.officer_a, data=data(other.pk), version=item.version)
    assert item.topic_id == other.pk
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="return", comment="请补充数据")
    item.refresh_from_db()
    with pytest.raises(InvalidInput, match="报送后不能更改"):
        item_update(item=item, actor=county.officer_a, data=data(topic.pk), version=item.version)
    # Data without a topic (the API's) keeps it; the editor's save keeps it too.
    kept = ItemData(title=item.title, body=item.body + "补充。", category=item.category)
    item = item_update(item=item, actor=county.officer_a, data=kept, version=item.version)
    assert item.topic_id == other.pk


def test_a_closed_topic_takes_no_new_answers(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    with pytest.raises(InvalidInput, match="截止时间之前"):
        topic_close(topic=topic, actor=county.editor)
    clock.set(topic.deadline + datetime.timedelta(minutes=1))
    topic_close(topic=topic, actor=county.editor)
    assert set(topic.targets.values_list("outcome", flat=True)) == {Outcome.MISSED}
    with pytest.raises(InvalidInput, match="已结束"):
        answer(topic, county.officer_a)
    with pytest.raises(NotAllowed):
        topic_close(topic=topic, actor=county.other_editor)


# Declining.


def test_decline_needs_a_reason_and_is_recorded(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    with pytest.raises(InvalidInput, match="原因"):
        topic_decline(topic=topic, actor=county.officer_a, reason="  ")
    row = topic_decline(topic=topic, actor=county.leader_a, reason="本镇今年不涉及换届。")
    assert (row.declined_by, row.decline_reason) == (county.leader_a, "本镇今年不涉及换届。")
    assert row.read_at == clock.now  # declining implies having read it
    with pytest.raises(InvalidInput, match="已经说明过"):
        topic_decline(topic=topic, actor=county.officer_a, reason="再说一次")
    assert AuditRecord.objects.filter(action="topic.decline").count() == 1


def test_a_unit_that_answered_cannot_decline_and_others_cannot_decline_for_it(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    topic = issue(targeting=Topic.Targeting.LIST, units=[county.town_a])
    transition(item=answer(topic, county.officer_a), actor=county.officer_a, action="submit")
    with pytest.raises(InvalidInput, match="已经回复"):
        topic_decline(topic=topic, actor=county.officer_a, reason="不报")
    for outsider in (extra.officer_c, county.editor):
        with pytest.raises(NotAllowed):
            topic_decline(topic=topic, actor=outsider, reason="不报")


# The board.


def test_board_shows_each_units_state(
    county: County, extra: Extra, clock: Clock, issue: IssueTopic
) -> None:
    townships = [county.town_a, county.town_b, extra.town_c]
    topic = issue(targeting=Topic.Targeting.LIST, units=[*townships, extra.bureau_x, extra.school])
    transition(item=answer(topic, county.officer_a), actor=county.officer_a, action="submit")
    topic_mark_read(topic=topic, actor=county.officer_b)
    topic_decline(topic=topic, actor=extra.officer_x, reason="本局无此类情况。")
    states = {r.target.unit.name: r.state for r in topic_board(topic, clock.now).rows}
    assert states == {
        "甲镇": BoardState.ANSWERED,
        "乙镇": BoardState.READ,
        "丙镇": BoardState.UNREAD,
        "县教育局": BoardState.DECLINED,
        "县委党校": BoardState.UNREAD,
    }
    later = topic_board(topic, topic.deadline + datetime.timedelta(seconds=1))
    assert {r.target.unit.name: r.state for r in later.rows}["乙镇"] is BoardState.OVERDUE
    assert later.counts[BoardState.OVERDUE] == 3
    assert dict(later.summary)[BoardState.ANSWERED] == 1


def test_target_refresh_is_idempotent(county: County, issue: IssueTopic) -> None:
    topic = issue()
    transition(item=answer(topic, county.officer_a), actor=county.officer_a, action="submit")
    before = target(topic, county.town_a)
    again = do_target_refresh(topic_id=topic.pk, unit_id=county.town_a.pk)
    assert again is not None
    assert (again.answered_at, again.outcome) == (before.answered_at, before.outcome)
