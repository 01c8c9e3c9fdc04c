"""批示反馈: an instruction's feedback-due date, the unit's feedback (who, when, text), and the
reminders before and after the due date, each sent once, visible in the recipients' inbox."""

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
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.services import transition
from xinbao.notify.models import Kind, Notification
from xinbao.publishing.models import Instruction
from xinbao.publishing.services import instruction_feedback_record, instruction_record
from xinbao.topics.reminders import remind_instruction_feedback

pytestmark = pytest.mark.django_db

D = datetime.timedelta(days=1)


def instruct(county: County, *, due_in_days: int | None = 7) -> Instruction:
    item = make_item(officer=county.officer_a, title="甲镇党员积分管理")
    transition(item=item, actor=county.officer_a, action="submit")
    item = transition(item=item, actor=county.editor, action="adopt")
    today = timezone.localdate()
    return instruction_record(
        item=item,
        actor=county.editor,
        level="city",
        leader_title="市委书记",
        leader_name="",
        instructed_on=today,
        text="此做法很好,请总结推广并反馈落实情况。",
        feedback_due_on=today + datetime.timedelta(days=due_in_days) if due_in_days else None,
    )


def feedback_messages() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(kind=Kind.FEEDBACK_DUE).values_list(
            "recipient__username", "text"
        )
    )


def test_due_and_overdue_reminders_each_once_to_the_items_unit(
    county: County, clock: Clock
) -> None:
    instruction = instruct(county)
    assert remind_instruction_feedback(clock.now) == 0  # due in 7 days: not yet
    clock.advance(days=4, hours=1)  # 3 days before the due date
    assert remind_instruction_feedback(clock.now) == 3
    assert remind_instruction_feedback(clock.now) == 0
    clock.advance(days=2)
    assert remind_instruction_feedback(clock.now) == 0  # one "due" reminder, not one a day
    names = {name for name, _text in feedback_messages()}
    assert names == {"off_a", "off_a2", "lead_a"}
    assert "请于 2026-03-17 前反馈落实情况" in feedback_messages()[0][1]
    url = f"/items/{instruction.item_id}/instructions/{instruction.pk}/feedback/"
    assert set(
        Notification.objects.filter(kind=Kind.FEEDBACK_DUE).values_list("url", flat=True)
    ) == {url}
    clock.advance(days=2)  # the day after the due date
    assert remind_instruction_feedback(clock.now) == 3
    assert remind_instruction_feedback(clock.now + D) == 0
    assert sum("已过" in text for _n, text in feedback_messages()) == 3


def test_no_reminder_once_feedback_is_given_or_without_a_due_date(
    county: County, clock: Clock
) -> None:
    instruction = instruct(county, due_in_days=2)  # recorded within the reminder window
    instruct(county, due_in_days=None)
    instruction_feedback_record(instruction=instruction, actor=county.officer_a, text="已推广。")
    clock.advance(days=5)
    assert remind_instruction_feedback(clock.now) == 0
    assert feedback_messages() == []


def test_reminder_comes_at_once_when_recorded_inside_the_window(
    county: County, clock: Clock
) -> None:
    instruct(county, due_in_days=1)
    assert remind_instruction_feedback(clock.now) == 3
    assert remind_instruction_feedback(clock.now) == 0


def test_schedule_once_twice_sends_the_feedback_reminder_once(county: County, clock: Clock) -> None:
    instruct(county, due_in_days=2)
    first, second = StringIO(), StringIO()
    call_command("schedule", once=True, stdout=first)
    call_command("schedule", once=True, stdout=second)
    assert "批示反馈提醒 3" in first.getvalue()
    assert "批示反馈提醒 0" in second.getvalue()


def test_feedback_records_who_when_and_what(county: County, clock: Clock) -> None:
    instruction = instruct(county)
    with pytest.raises(InvalidInput, match="请填写反馈内容"):
        instruction_feedback_record(instruction=instruction, actor=county.officer_a, text=" ")
    for outsider in (county.officer_b, county.other_editor, county.other_officer):
        with pytest.raises(NotAllowed):
            instruction_feedback_record(instruction=instruction, actor=outsider, text="x")
    done = instruction_feedback_record(
        instruction=instruction, actor=county.leader_a, text="已在全镇推广。"
    )
    assert (done.feedback_by, done.feedback_at, done.feedback_text) == (
        county.leader_a,
        clock.now,
        "已在全镇推广。",
    )


def test_feedback_page_for_the_unit_and_404_for_others(county: County, clock: Clock) -> None:
    instruction = instruct(county)
    url = f"/items/{instruction.item_id}/instructions/{instruction.pk}/feedback/"
    client = Client()
    client.force_login(county.officer_a)
    page = client.get(url).content.decode()
    assert "请于 2026-03-17 前反馈落实情况" in page and 'id="feedback-form"' in page
    assert client.post(url, {"text": "  "}).status_code == 400
    response = client.post(url, {"text": "已召开专题会议落实。"})
    assert response.status_code == 302
    instruction.refresh_from_db()
    assert instruction.feedback_text == "已召开专题会议落实。"
    assert instruction.feedback_by == county.officer_a
    outsider = Client()
    outsider.force_login(county.officer_b)
    assert outsider.get(url).status_code == 404
