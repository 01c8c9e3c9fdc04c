"""Every write to items: one transaction each, permission checked, audit record written.

Views and the API call these functions and nothing else. They raise ``ItemError`` subclasses with
a Chinese message for anything the user can cause; such a failure changes nothing.
"""

from __future__ import annotations

import datetime
import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record, diff_fields, summarize
from xinbao.items import permissions
from xinbao.items.errors import IllegalMove, InvalidInput, NotAllowed, StaleVersion
from xinbao.items.models import (
    Category,
    Item,
    ItemEvent,
    Revision,
    SecrecyReview,
    SecrecyTermList,
    State,
    Urgency,
    normalize_body,
)
from xinbao.items.secrecy import parse_terms
from xinbao.items.workflow import ACTIONS, Move, Part, find_move, moves_from
from xinbao.orgs.models import Role, Unit

if TYPE_CHECKING:
    from xinbao.orgs.models import User

TITLE_MAX = 200
BODY_MAX = 20000
TERMS_MAX = 5000
# Keywords may be separated by spaces, commas or semicolons, Western or full-width, or by the
# enumeration comma (the full-width marks are escapes: some editors fold them to ASCII).
KEYWORD_SEPARATORS = re.compile(r"[\s,;\u3001\uff0c\uff1b]+")
# C0/C1 control characters other than line breaks and tabs (R20: allowed characters).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# How far ahead of the server's clock an event time may be (a phone's clock runs fast).
EVENT_TIME_SLACK = datetime.timedelta(minutes=10)


class Keep(enum.Enum):
    """An ``ItemData`` field left as it is (on create: left empty)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass
class ItemData:
    """What a writer supplies for an item; validated by ``clean_item_data``."""

    title: str
    body: str
    category: Category | None
    urgency: int = Urgency.NORMAL
    event_date: datetime.date | None = None
    keywords: str = ""
    is_internal: bool = False
    authors: list[User] = field(default_factory=list)
    co_units: list[Unit] = field(default_factory=list)
    # The moment of the event; when given, ``event_date`` becomes its local date.
    event_time: datetime.datetime | Keep | None = KEEP
    # The topic (约稿) the item answers; chosen while the item is a draft (see check_topic).
    topic_id: int | Keep | None = KEEP


def clean_item_data(data: ItemData, *, unit: Unit) -> ItemData:
    title = " ".join(data.title.split())
    body = normalize_body(data.body)
    errors: list[str] = []
    if CONTROL_CHARS.search(title) or CONTROL_CHARS.search(body):
        errors.append(
            _("标题和正文不能含有控制字符(可能是从其他软件复制时带入的),请删除后再保存。")
        )
    if not title:
        errors.append(_("请填写标题。"))
    elif len(title) > TITLE_MAX:
        errors.append(_("标题不能超过 %(max)d 个字。") % {"max": TITLE_MAX})
    if not body:
        errors.append(_("请填写正文。"))
    elif len(body) > BODY_MAX:
        errors.append(_("正文不能超过 %(max)d 个字。") % {"max": BODY_MAX})
    if data.category is None or not data.category.is_active:
        errors.append(_("请选择信息类别。"))
    if data.urgency not in Urgency.values:
        errors.append(_("紧急程度无效。"))
    if isinstance(data.event_time, datetime.datetime):
        if data.event_time > timezone.now() + EVENT_TIME_SLACK:
            errors.append(_("事件发生时间不能晚于现在。"))
        data.event_date = timezone.localdate(data.event_time)
    if data.event_date and data.event_date > timezone.localdate():
        errors.append(_("事件日期不能晚于今天。"))
    if any(author.unit_id != unit.pk or author.role != Role.OFFICER for author in data.authors):
        errors.append(_("作者必须是本单位的信息员。"))
    if any(co.pk == unit.pk or co.is_org_department for co in data.co_units):
        errors.append(_("联合报送单位不能是本单位或组织部门。"))
    elif any(co.department_id != unit.department_id for co in data.co_units):
        errors.append(_("联合报送单位必须是与本单位报送同一组织部门的其他单位。"))
    if errors:
        raise InvalidInput(" ".join(errors))
    data.title, data.body = title, body
    words = KEYWORD_SEPARATORS.split(data.keywords)
    data.keywords = " ".join(word for word in words if word)[:200].strip()
    return data


def item_create(*, actor: User, data: ItemData) -> Item:
    """An officer starts a draft for their own unit."""
    if not permissions.can_create(actor):
        raise NotAllowed(_("只有信息员可以撰写信息。"))
    unit = actor.home_unit
    if unit.department_id is None:
        raise InvalidInput(_("本单位尚未设置上级组织部门,暂不能撰写信息,请联系管理员。"))
    data = clean_item_data(data, unit=unit)
    topic_id = check_topic(data.topic_id, unit=unit, item=None)
    from xinbao.items.queries import item_findings

    # The 保密 findings of the text, counted before the row is written (a new item has no
    # attachments): one insert, no update after it.
    draft = Item(department_id=unit.department_id, title=data.title, body=data.body)
    findings = len(item_findings(draft, attachments=[]))
    with transaction.atomic():
        item = Item.objects.create(
            unit=unit,
            department_id=unit.department_id,
            created_by=actor,
            title=data.title,
            body=data.body,
            category=cast(Category, data.category),  # clean_item_data refused None
            urgency=data.urgency,
            event_date=data.event_date,
            event_time=data.event_time if isinstance(data.event_time, datetime.datetime) else None,
            topic_id=topic_id,
            keywords=data.keywords,
            is_internal=data.is_internal,
            secrecy_findings=findings,
        )
        # A new item has no authors, co-units or attachments yet: add, without reading first.
        item.authors.add(*(data.authors or [actor]))
        if data.co_units:
            item.co_units.add(*data.co_units)
        audit_record(actor=actor, action="item.create", obj=item, changes=summarize(snapshot(item)))
    return item


def item_update(*, item: Item, actor: User, data: ItemData, version: int) -> Item:
    """Save the text of an item.

    The officer may save in ``draft`` and ``returned``; the editor in the review states, which
    records an editor revision (and starts the review if it had not started). ``version`` is the
    version the writer loaded: a save over someone else's newer save is refused.
    """
    with transaction.atomic():
        locked = lock_item(item.pk)
        as_editor = permissions.can_edit_as_editor(actor, locked)
        if not (as_editor or permissions.can_edit_as_officer(actor, locked)):
            raise NotAllowed(_("当前状态下您不能修改这条信息。"))
        if locked.version != version:
            raise StaleVersion(
                _("这条信息已被他人修改(第 %(v)d 版),您的内容未保存,请复制后刷新页面再改。")
                % {"v": locked.version}
            )
        data = clean_item_data(data, unit=locked.unit)
        topic_id = (
            locked.topic_id
            if as_editor
            else check_topic(data.topic_id, unit=locked.unit, item=locked)
        )
        before = snapshot(locked)
        if as_editor and locked.state in (State.SUBMITTED, State.RESUBMITTED):
            _perform(locked, actor, find_move_or_raise(locked, "start_review"), "")
        locked.title, locked.body = data.title, data.body
        locked.category = cast(Category, data.category)  # clean_item_data refused None
        locked.urgency, locked.event_date, locked.keywords = (
            data.urgency,
            data.event_date,
            data.keywords,
        )
        locked.is_internal = data.is_internal
        if data.event_time is not KEEP:
            locked.event_time = data.event_time
        elif locked.event_time and timezone.localdate(locked.event_time) != locked.event_date:
            locked.event_time = None  # the date was changed alone: the old moment no longer holds
        locked.topic_id = topic_id
        locked.version += 1
        locked.save()
        do_secrecy_refresh(locked)
        if not as_editor:
            locked.authors.set(data.authors or [actor])
            locked.co_units.set(data.co_units)
        changes = diff_fields(before, snapshot(locked))
        if as_editor and ("title" in changes or "body" in changes):
            _add_revision(locked, actor, Revision.Kind.EDITOR)
        audit_record(
            actor=actor,
            action="item.edit_by_editor" if as_editor else "item.update",
            obj=locked,
            changes=changes,
        )
    return locked


def check_topic(topic_id: int | Keep | None, *, unit: Unit, item: Item | None) -> int | None:
    """The topic an item of ``unit`` may answer. It is chosen while the item is a draft, from the
    open topics sent to the unit; once the item has left the unit its topic stays (changing it
    would move an answer already counted)."""
    current = item.topic_id if item is not None else None
    if topic_id is KEEP or topic_id == current:
        return current
    if item is not None and item.state != State.DRAFT:
        raise InvalidInput(_("信息报送后不能更改所回复的约稿。"))
    if topic_id is None:
        return None
    from xinbao.topics.queries import answerable_topics  # topics builds on items, not back

    if not answerable_topics(unit).filter(pk=topic_id).exists():
        raise InvalidInput(_("所选约稿已结束或未发给本单位。"))
    return topic_id


def lock_item(pk: int) -> Item:
    """The item row, locked until the transaction ends (with its unit, not locked).

    ``FOR NO KEY UPDATE OF`` the item only: it still queues every other writer of the item, but
    not the inserts that merely reference it or its unit (events, revisions, similar pairs,
    another item of the unit), whose foreign-key checks take ``KEY SHARE`` locks. A plain
    ``FOR UPDATE`` of the joined rows made a submission wait for the audit chain's lock while
    holding the very rows a concurrent creation in the same unit, already holding that lock,
    waited for: PostgreSQL's deadlock detector killed one of them under load (bench_load.py).
    """
    locking = Item.objects.select_for_update(no_key=True, of=("self",))
    return locking.select_related("unit").get(pk=pk)


def transition(
    *,
    item: Item,
    actor: User,
    action: str,
    comment: str = "",
    secrecy_name: str = "",
    locked: bool = False,
) -> Item:
    """Perform one workflow move, or refuse it and change nothing.

    Locks the item row, looks the move up in the table for the item's current state, checks that
    ``actor`` plays the move's part for this item and that a comment is given where required,
    then updates the state, records an ``ItemEvent``, snapshots a revision on submission and
    writes the audit record, all in one transaction. An officer's submission of an item with
    保密 findings also needs a confirmation (``secrecy_name``, see ``check_secrecy_review``).

    ``locked``: the caller read ``item`` under the same row lock in its open transaction
    (``queries.access_item(..., lock=True)``), so it is not read again; a refusal then fails
    the caller's transaction (no savepoint), which the caller leaves.
    """
    comment = comment.strip()
    if action not in ACTIONS:
        raise IllegalMove(_("未知的操作:%(action)s") % {"action": action})
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition(locked=True) outside the lock's transaction")
    # Under the caller's lock, in the caller's transaction (no savepoint: a refusal is raised
    # before any write, and fails that transaction).
    with transaction.atomic(savepoint=not locked):
        row = item if locked else lock_item(item.pk)
        if not permissions.can_see(actor, row):
            raise NotAllowed(_("您无权处理这条信息。"))
        move = find_move_or_raise(row, action)
        if not permissions.plays(actor, row, move.actor):
            raise NotAllowed(_("您无权对这条信息执行“%(label)s”。") % {"label": move.label})
        if move.needs_comment and not comment:
            raise InvalidInput(_("“%(label)s”须填写意见。") % {"label": move.label})
        if move.action in SUBMIT_ACTIONS and move.actor is Part.OFFICER:
            check_secrecy_review(row, actor, secrecy_name)
        _perform(row, actor, move, comment)
    return row


SUBMIT_ACTIONS = frozenset({"submit", "resubmit"})


class SecrecyUnconfirmed(InvalidInput):
    """An item with 保密 findings not covered by a confirmation was to be submitted."""


def check_secrecy_review(item: Item, actor: User, typed_name: str) -> None:
    """Before an officer submits: findings in the current text need a 保密审查 confirmation that
    covers them all. ``typed_name`` (the officer's name as typed, which must be their display
    name) records a new one; without it an earlier confirmation still counts when no finding
    has appeared since. Either way an ``item.secrecy_confirm`` audit record joins the submit's
    transaction. Caller holds the item's row lock."""
    from xinbao.items.queries import secrecy_status

    status = secrecy_status(item)
    count = len(status.findings)
    if item.secrecy_findings != count:
        do_secrecy_refresh(item, count=count)
    if not status.findings:
        return
    typed_name = " ".join(typed_name.split())
    if not typed_name:
        if not status.covered:
            raise SecrecyUnconfirmed(
                _(
                    "保密自查发现 %(n)d 处需要核对的内容(密级标志、身份证号、手机号或内部用语)。"
                    "请逐条核对,确认不涉密后输入您的姓名完成保密审查,再报送。"
                )
                % {"n": count}
            )
        review = cast("SecrecyReview", status.review)
        audit_record(
            actor=actor,
            action="item.secrecy_confirm",
            obj=item,
            changes={"review": review.pk, "findings": count, "earlier_confirmation": True},
        )
        return
    if typed_name != actor.display_name.strip():
        raise InvalidInput(
            _("保密审查须输入您本人的姓名(与账号姓名“%(name)s”一致)。")
            % {"name": actor.display_name}
        )
    review = SecrecyReview.objects.create(
        item=item,
        reviewer=actor,
        typed_name=typed_name[:150],
        keys=sorted({f.key for f in status.findings}),
        findings=[f.as_dict() for f in status.findings],
    )
    audit_record(
        actor=actor,
        action="item.secrecy_confirm",
        obj=item,
        changes={
            "review": review.pk,
            "findings": count,
            "kinds": sorted({f.kind for f in status.findings}),
            "name": typed_name,
        },
    )


def do_secrecy_refresh(item: Item, *, count: int | None = None) -> None:
    """Store the number of 保密 findings of the item's current text (``count`` if the caller has
    just computed it). Checks nothing; call it inside the transaction that changed the text."""
    if count is None:
        from xinbao.items.queries import item_findings

        count = len(item_findings(item))
    if item.secrecy_findings != count:
        item.secrecy_findings = count
        item.save(update_fields=["secrecy_findings"])


def secrecy_terms_update(*, department: Unit, actor: User, terms: str) -> SecrecyTermList:
    """Set a department's internal-term list (one a line); its own editors only (三员分立: the
    administrators hold no business duty). The counts of the department's open items follow at
    their next check."""
    if not (actor.has_role(Role.EDITOR) and actor.unit_id == department.pk):
        raise NotAllowed(_("只有本部门的编辑可以设置内部用语。"))
    if not department.is_org_department:
        raise InvalidInput(_("只有组织部门可以设置内部用语。"))
    if len(terms) > TERMS_MAX:
        raise InvalidInput(_("内部用语不能超过 %(max)d 个字。") % {"max": TERMS_MAX})
    cleaned = "\n".join(parse_terms(terms))
    with transaction.atomic():
        row = SecrecyTermList.objects.select_for_update().filter(department=department).first()
        before = row.terms if row is not None else None
        if row is None:
            row = SecrecyTermList(department=department)
        row.terms, row.updated_by = cleaned, actor
        row.save()
        audit_record(
            actor=actor,
            action="items.secrecy_terms_update",
            obj=department,
            changes={"terms": [before, cleaned]},
        )
    return row


def find_move_or_raise(item: Item, action: str) -> Move:
    move = find_move(
        action,
        item.state,
        signoff_required=item.unit.requires_signoff,
        submitted_before=item.submitted_at is not None,
    )
    if move is None:
        raise IllegalMove(
            _("状态为“%(state)s”的信息不能执行此操作。") % {"state": State(item.state).label}
        )
    return move


def available_moves(*, item: Item, actor: User) -> list[Move]:
    """The moves ``actor`` could perform on ``item`` now (for buttons; ``transition`` decides)."""
    return [
        move
        for move in moves_from(
            item.state,
            signoff_required=item.unit.requires_signoff,
            submitted_before=item.submitted_at is not None,
        )
        if permissions.plays(actor, item, move.actor)
    ]


def _perform(item: Item, actor: User, move: Move, comment: str) -> None:
    """Apply ``move``: caller holds the row lock and has checked permission."""
    from_state, submitted_at, decided_at = item.state, item.submitted_at, item.decided_at
    now = timezone.now()
    item.state = move.target
    if move.target in (State.SUBMITTED, State.RESUBMITTED) and item.submitted_at is None:
        item.submitted_at = now
    if move.target in (State.ADOPTED, State.DECLINED):
        item.decided_at = now
    if move.target == State.DRAFT and move.action == "withdraw":
        item.submitted_at = None
    # Only the fields that changed: a move that changes the state alone changes no fact the
    # ledger reads (``scoring.signals``).
    changed = [
        name
        for name, before in (("submitted_at", submitted_at), ("decided_at", decided_at))
        if getattr(item, name) != before
    ]
    item.save(update_fields=["state", *changed, "updated_at"])
    ItemEvent.objects.create(
        item=item,
        action=move.action,
        from_state=from_state,
        to_state=move.target,
        actor=actor,
        comment=comment,
    )
    if move.action in ("submit", "resubmit") and move.actor is Part.OFFICER:
        _add_revision(item, actor, Revision.Kind.OFFICER)
    audit_record(
        actor=actor,
        action=f"item.{move.action}",
        obj=item,
        changes={"state": [from_state, move.target], **({"comment": comment} if comment else {})},
    )


def _add_revision(item: Item, actor: User, kind: str) -> Revision:
    last = item.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return Revision.objects.create(
        item=item, number=last + 1, kind=kind, title=item.title, body=item.body, author=actor
    )


def snapshot(item: Item) -> dict[str, Any]:
    return {
        "title": item.title,
        "body": item.body,
        "category": item.category_id,
        "urgency": item.urgency,
        "event_date": item.event_date.isoformat() if item.event_date else None,
        "event_time": item.event_time.isoformat() if item.event_time else None,
        "topic": item.topic_id,
        "keywords": item.keywords,
        "is_internal": item.is_internal,
        "state": item.state,
    }
