"""Every allowed and every forbidden move of the workflow, for every kind of actor.

``ALLOWED`` below is written out by hand from the specification (issue 2), independently of the
table in ``items/workflow.py``: the test fails when the two disagree in either direction.
"""

from __future__ import annotations

import pytest

from tests.conftest import County
from tests.factories import make_item
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import IllegalMove, InvalidInput, ItemError, NotAllowed
from xinbao.items.models import Item, ItemEvent, Revision, State
from xinbao.items.services import transition
from xinbao.items.workflow import ACTIONS

S = State
EDITOR_OPEN = {S.SUBMITTED, S.RESUBMITTED, S.IN_REVIEW}

COMMON: dict[tuple[State, str, str], State] = {
    (S.PENDING_SIGNOFF, "approve", "leader"): S.SUBMITTED,
    (S.PENDING_SIGNOFF, "reject_signoff", "leader"): S.DRAFT,
    (S.PENDING_SIGNOFF, "withdraw", "officer"): S.DRAFT,
    (S.SUBMITTED, "withdraw", "officer"): S.DRAFT,
    (S.RESUBMITTED, "withdraw", "officer"): S.DRAFT,
    (S.SUBMITTED, "start_review", "editor"): S.IN_REVIEW,
    (S.RESUBMITTED, "start_review", "editor"): S.IN_REVIEW,
    **{(state, "return", "editor"): S.RETURNED for state in EDITOR_OPEN},
    **{(state, "adopt", "editor"): S.ADOPTED for state in EDITOR_OPEN},
    **{(state, "decline", "editor"): S.DECLINED for state in EDITOR_OPEN},
    (S.ADOPTED, "archive", "editor"): S.ARCHIVED,
    (S.DECLINED, "archive", "editor"): S.ARCHIVED,
}
ALLOWED = {
    "no_signoff": {
        **COMMON,
        (S.DRAFT, "submit", "officer"): S.SUBMITTED,
        (S.RETURNED, "resubmit", "officer"): S.RESUBMITTED,
    },
    "signoff": {
        **COMMON,
        (S.DRAFT, "submit", "officer"): S.PENDING_SIGNOFF,
        (S.RETURNED, "resubmit", "officer"): S.PENDING_SIGNOFF,
    },
}
NEEDS_COMMENT = {"return", "decline", "reject_signoff"}


def actors(county: County, unit_key: str) -> dict[str, object]:
    own = unit_key == "no_signoff"
    return {
        "officer": county.officer_a if own else county.officer_b,
        "leader": county.leader_a if own else county.leader_b,
        "editor": county.editor,
        # Everyone below must be refused whatever the state.
        "other_unit_officer": county.officer_b if own else county.officer_a,
        "other_unit_leader": county.leader_b if own else county.leader_a,
        "dept_leader": county.dept_leader,
        "other_county_editor": county.other_editor,
        "other_county_officer": county.other_officer,
        "sysadmin": county.sysadmin,
    }


@pytest.mark.parametrize("unit_key", ["no_signoff", "signoff"])
@pytest.mark.parametrize("state", list(State))
def test_every_move_from_every_state(county: County, unit_key: str, state: State) -> None:
    people = actors(county, unit_key)
    item = make_item(officer=people["officer"])  # type: ignore[arg-type]
    failures: list[str] = []
    for action in sorted(ACTIONS):
        for who, actor in people.items():
            Item.objects.filter(pk=item.pk).update(state=state)
            item.refresh_from_db()
            events, audits = ItemEvent.objects.count(), AuditRecord.objects.count()
            expected = ALLOWED[unit_key].get((state, action, who))
            comment = "请补充具体数据" if action in NEEDS_COMMENT else ""
            try:
                moved = transition(item=item, actor=actor, action=action, comment=comment)  # type: ignore[arg-type]
            except ItemError as error:
                if expected is not None:
                    failures.append(
                        f"{state}/{action}/{who}: refused ({error}), expected {expected}"
                    )
                item.refresh_from_db()
                if item.state != state or ItemEvent.objects.count() != events:
                    failures.append(f"{state}/{action}/{who}: refused move changed something")
                if AuditRecord.objects.count() != audits:
                    failures.append(f"{state}/{action}/{who}: refused move wrote an audit record")
                if not str(error):
                    failures.append(f"{state}/{action}/{who}: refusal without a message")
                continue
            if expected is None:
                failures.append(f"{state}/{action}/{who}: allowed, expected refusal")
                continue
            moved.refresh_from_db()
            event = ItemEvent.objects.latest("id")
            audit = AuditRecord.objects.latest("id")
            if moved.state != expected:
                failures.append(f"{state}/{action}/{who}: went to {moved.state}, not {expected}")
            if (event.action, event.from_state, event.to_state, event.actor_id, event.comment) != (
                action,
                state,
                expected,
                actor.pk,
                comment,  # type: ignore[attr-defined]
            ):
                failures.append(f"{state}/{action}/{who}: event recorded wrongly")
            if audit.action != f"item.{action}" or audit.actor_id != actor.pk:  # type: ignore[attr-defined]
                failures.append(f"{state}/{action}/{who}: audit record missing")
    assert failures == []


def test_move_that_needs_a_comment_is_refused_without_one(county: County) -> None:
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    for action in ("return", "decline"):
        with pytest.raises(InvalidInput, match="须填写意见"):
            transition(item=item, actor=county.editor, action=action, comment="   ")
    item.refresh_from_db()
    assert item.state == State.SUBMITTED


def test_unknown_action_is_refused(county: County) -> None:
    item = make_item(officer=county.officer_a)
    with pytest.raises(IllegalMove, match="未知的操作"):
        transition(item=item, actor=county.officer_a, action="publish")


def test_outsider_is_told_no_permission_not_the_state(county: County) -> None:
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    with pytest.raises(NotAllowed):
        transition(item=item, actor=county.other_editor, action="adopt")


def test_full_round_trip_keeps_comment_and_revisions(county: County) -> None:
    item = make_item(officer=county.officer_b, title="乙镇换届工作平稳有序")
    transition(item=item, actor=county.officer_b, action="submit")
    transition(item=item, actor=county.leader_b, action="approve")
    transition(item=item, actor=county.editor, action="return", comment="请补充参选率数据")
    item.refresh_from_db()
    assert item.state == State.RETURNED
    returned = item.events.get(action="return")
    assert returned.comment == "请补充参选率数据"
    transition(item=item, actor=county.officer_b, action="resubmit")
    transition(item=item, actor=county.leader_b, action="approve")
    item.refresh_from_db()
    assert item.state == State.RESUBMITTED  # the editor sees it is a revised item
    transition(item=item, actor=county.editor, action="adopt")
    item.refresh_from_db()
    assert item.state == State.ADOPTED
    assert item.decided_at is not None
    # One officer revision per submission (the first submit and the resubmit).
    assert list(Revision.objects.filter(item=item).values_list("number", "kind")) == [
        (1, "officer"),
        (2, "officer"),
    ]
    assert list(item.events.values_list("action", flat=True)) == [
        "submit",
        "approve",
        "return",
        "resubmit",
        "approve",
        "adopt",
    ]
