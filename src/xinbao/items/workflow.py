"""The workflow of an item: every allowed move, in one table.

A move is allowed when the item is in one of its ``sources``, the actor plays its ``actor`` part
for this item (see ``items.permissions.plays``), and its ``when`` condition on the unit holds.
``items.services.transition`` is the only code that performs a move; anything not in this table is
refused. Move names are shared by the pages and the API.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import State


class Part(enum.Enum):
    """The part an actor plays for a given item (derived from role and unit, never stored)."""

    OFFICER = "officer"  # an officer of the item's unit
    UNIT_LEADER = "unit_leader"  # the sign-off leader of the item's unit
    EDITOR = "editor"  # an editor of the department the item was submitted to


class When(enum.Enum):
    ALWAYS = "always"
    SIGNOFF_REQUIRED = "signoff_required"
    NO_SIGNOFF = "no_signoff"
    FIRST_SUBMISSION = "first_submission"  # the item has not reached the editor before
    RESUBMISSION = "resubmission"  # it has (it was returned and is being sent again)


@dataclass(frozen=True)
class Move:
    action: str
    label: str | Promise
    sources: frozenset[State]
    target: State
    actor: Part
    when: When = When.ALWAYS
    needs_comment: bool = False


EDITOR_OPEN = frozenset({State.SUBMITTED, State.RESUBMITTED, State.IN_REVIEW})
WAITING = frozenset({State.SUBMITTED, State.RESUBMITTED})

MOVES: tuple[Move, ...] = (
    Move(
        "submit",
        _("报送"),
        frozenset({State.DRAFT}),
        State.PENDING_SIGNOFF,
        Part.OFFICER,
        When.SIGNOFF_REQUIRED,
    ),
    Move(
        "submit",
        _("报送"),
        frozenset({State.DRAFT}),
        State.SUBMITTED,
        Part.OFFICER,
        When.NO_SIGNOFF,
    ),
    Move(
        "approve",
        _("签发"),
        frozenset({State.PENDING_SIGNOFF}),
        State.SUBMITTED,
        Part.UNIT_LEADER,
        When.FIRST_SUBMISSION,
    ),
    Move(
        "approve",
        _("签发"),
        frozenset({State.PENDING_SIGNOFF}),
        State.RESUBMITTED,
        Part.UNIT_LEADER,
        When.RESUBMISSION,
    ),
    Move(
        "reject_signoff",
        _("不予签发"),
        frozenset({State.PENDING_SIGNOFF}),
        State.DRAFT,
        Part.UNIT_LEADER,
        needs_comment=True,
    ),
    Move(
        "withdraw",
        _("撤回"),
        frozenset({State.PENDING_SIGNOFF}) | WAITING,
        State.DRAFT,
        Part.OFFICER,
    ),
    Move("start_review", _("开始审核"), WAITING, State.IN_REVIEW, Part.EDITOR),
    Move("return", _("退回修改"), EDITOR_OPEN, State.RETURNED, Part.EDITOR, needs_comment=True),
    Move(
        "resubmit",
        _("修改后重报"),
        frozenset({State.RETURNED}),
        State.PENDING_SIGNOFF,
        Part.OFFICER,
        When.SIGNOFF_REQUIRED,
    ),
    Move(
        "resubmit",
        _("修改后重报"),
        frozenset({State.RETURNED}),
        State.RESUBMITTED,
        Part.OFFICER,
        When.NO_SIGNOFF,
    ),
    Move("adopt", _("采用"), EDITOR_OPEN, State.ADOPTED, Part.EDITOR),
    Move("decline", _("不采用"), EDITOR_OPEN, State.DECLINED, Part.EDITOR, needs_comment=True),
    Move(
        "archive",
        _("归档"),
        frozenset({State.ADOPTED, State.DECLINED}),
        State.ARCHIVED,
        Part.EDITOR,
    ),
)

ACTIONS: frozenset[str] = frozenset(move.action for move in MOVES)

# States in which the officer may change the text, and in which the editor may.
OFFICER_EDITABLE = frozenset({State.DRAFT, State.RETURNED})
EDITOR_EDITABLE = EDITOR_OPEN
# States the receiving department can see: everything that has left the unit.
DEPARTMENT_VISIBLE = frozenset(State) - {State.DRAFT, State.PENDING_SIGNOFF}
# States that wait for the editor, shown in the inbox by default.
INBOX_OPEN = EDITOR_OPEN


def moves_from(state: str, *, signoff_required: bool, submitted_before: bool = False) -> list[Move]:
    """The moves the table allows from ``state`` for a unit with the given sign-off rule, for
    an item that has (``submitted_before``) or has not reached the editor before."""
    return [
        move
        for move in MOVES
        if state in move.sources and condition_holds(move.when, signoff_required, submitted_before)
    ]


def find_move(
    action: str, state: str, *, signoff_required: bool, submitted_before: bool = False
) -> Move | None:
    for move in moves_from(
        state, signoff_required=signoff_required, submitted_before=submitted_before
    ):
        if move.action == action:
            return move
    return None


def condition_holds(when: When, signoff_required: bool, submitted_before: bool = False) -> bool:
    if when is When.SIGNOFF_REQUIRED:
        return signoff_required
    if when is When.NO_SIGNOFF:
        return not signoff_required
    if when is When.FIRST_SUBMISSION:
        return not submitted_before
    if when is When.RESUBMISSION:
        return submitted_before
    return True
