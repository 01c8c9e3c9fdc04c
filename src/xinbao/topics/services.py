"""Every write of topics, key work and timeliness: one transaction each, permission checked,
audit record written. Failures a user can cause raise ``items.errors`` subclasses with a Chinese
message and change nothing.

``do_*`` functions change derived state and check nothing; they are called from signals and
the periodic jobs (``close_overdue``, ``escalate_overdue``), which are idempotent.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items import permissions as item_permissions
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Item, ItemEvent, State
from xinbao.items.workflow import Part
from xinbao.notify.models import Kind
from xinbao.notify.services import announce, notify_unit, notify_users
from xinbao.orgs.models import Role, Unit, User
from xinbao.topics.models import KeyWorkArea, KeyWorkTag, Timeliness, Topic, TopicTarget

TITLE_MAX = 200
TEXT_MAX = 5000
REASON_MAX = 500
# Moves that change whether (and when) an item counts as the unit's answer to its topic.
ANSWER_ACTIONS = frozenset({"submit", "withdraw", "reject_signoff", "adopt"})
# Decided items: the officer no longer changes their key-work tags, the editor still may.
DECIDED = frozenset({State.ADOPTED, State.DECLINED, State.ARCHIVED})


def is_department_staff(user: User) -> bool:
    return user.has_role(Role.EDITOR, Role.DEPT_LEADER) and user.unit_id is not None


def member_units(department: Unit) -> Sequence[Unit]:
    """The units that report to ``department`` and can be sent a topic."""
    return list(
        Unit.objects.filter(department=department, is_active=True)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .order_by("sort_order", "code")
    )


# ----------------------------------------------------------------------------------------------
# Topics
# ----------------------------------------------------------------------------------------------


@dataclass
class TopicData:
    title: str
    wanted: str
    deadline: datetime.datetime | None
    targeting: str
    requirements: str = ""
    target_kind: str = ""
    units: list[Unit] = field(default_factory=list)
    key_work_area: KeyWorkArea | None = None


# Targeting values shared with notices (``notify.models.Notice.Targeting``): "all" and
# "officers" reach every member unit (notices only); the others are ``Topic.Targeting``.
TARGET_ALL = ("all", "officers")
TARGET_KINDS = (Unit.Kind.TOWNSHIP, Unit.Kind.DEPARTMENT, Unit.Kind.OTHER)


def units_for_targeting(
    department: Unit, targeting: str, target_kind: str = "", units: Sequence[Unit] = ()
) -> list[Unit]:
    """Expand a targeting choice (all, all townships, a unit class, a hand-picked list) into the
    active member units of ``department``. Topics and notices both use it."""
    members = member_units(department)
    if targeting in TARGET_ALL:
        return list(members)
    if targeting == Topic.Targeting.TOWNSHIPS:
        return [u for u in members if u.kind == Unit.Kind.TOWNSHIP]
    if targeting == Topic.Targeting.KIND:
        return [u for u in members if u.kind == target_kind]
    if targeting == Topic.Targeting.LIST:
        chosen = {u.pk for u in units}
        return [u for u in members if u.pk in chosen]
    return []


def targeting_errors(
    department: Unit, targeting: str, target_kind: str, units: Sequence[Unit]
) -> list[str]:
    """What is wrong with a targeting choice (the unit class or list it needs)."""
    errors: list[str] = []
    if targeting == Topic.Targeting.KIND and target_kind not in TARGET_KINDS:
        errors.append(_("请选择单位类型。"))
    if targeting == Topic.Targeting.LIST:
        if not units:
            errors.append(_("请至少选择一个单位。"))
        elif any(u.department_id != department.pk or u.is_org_department for u in units):
            errors.append(_("只能选择本部门所辖单位。"))
    return errors


def target_units(department: Unit, data: TopicData) -> list[Unit]:
    """Expand the topic's targeting choice into units of ``department`` (at issue time)."""
    if data.targeting not in Topic.Targeting.values:
        return []
    return units_for_targeting(department, data.targeting, data.target_kind, data.units)


def clean_topic_data(data: TopicData, *, department: Unit, now: datetime.datetime) -> TopicData:
    errors: list[str] = []
    data.title = " ".join(data.title.split())
    data.wanted = data.wanted.strip()
    data.requirements = data.requirements.strip()
    if not data.title:
        errors.append(_("请填写题目。"))
    elif len(data.title) > TITLE_MAX:
        errors.append(_("题目不能超过 %(max)d 个字。") % {"max": TITLE_MAX})
    if not data.wanted:
        errors.append(_("请填写约稿内容。"))
    if len(data.wanted) > TEXT_MAX or len(data.requirements) > TEXT_MAX:
        errors.append(_("约稿内容和写作要求各不能超过 %(max)d 字。") % {"max": TEXT_MAX})
    if data.deadline is None:
        errors.append(_("请填写截止时间。"))
    elif data.deadline <= now:
        errors.append(_("截止时间必须晚于现在。"))
    if data.targeting not in Topic.Targeting.values:
        errors.append(_("请选择约稿对象。"))
    errors += targeting_errors(department, data.targeting, data.target_kind, data.units)
    area = data.key_work_area
    if area is not None and area.department_id != department.pk:
        errors.append(_("工作要点不属于本部门。"))
    if errors:
        raise InvalidInput(" ".join(errors))
    if data.targeting != Topic.Targeting.KIND:
        data.target_kind = ""
    return data


def topic_create(*, actor: User, data: TopicData) -> Topic:
    """An editor or department leader issues a topic; its targets are fixed now and told."""
    if not is_department_staff(actor) or not actor.home_unit.is_org_department:
        raise NotAllowed(_("只有组织部门的编辑和部领导可以约稿。"))
    department = actor.home_unit
    data = clean_topic_data(data, department=department, now=timezone.now())
    units = target_units(department, data)
    if not units:
        raise InvalidInput(_("没有符合条件的单位,请换一种约稿对象。"))
    deadline_at = cast(datetime.datetime, data.deadline)  # clean_topic_data refused None
    with transaction.atomic():
        topic = Topic.objects.create(
            department=department,
            title=data.title,
            wanted=data.wanted,
            requirements=data.requirements,
            deadline=deadline_at,
            key_work_area=data.key_work_area,
            targeting=data.targeting,
            target_kind=data.target_kind,
            created_by=actor,
        )
        TopicTarget.objects.bulk_create([TopicTarget(topic=topic, unit=u) for u in units])
        deadline = timezone.localtime(deadline_at).strftime("%Y-%m-%d %H:%M")
        text = _("新约稿:%(title)s(截止 %(deadline)s),请在“约稿”中查看。") % {
            "title": topic.title,
            "deadline": deadline,
        }
        url = reverse("topics:detail", kwargs={"pk": topic.pk})
        for unit in units:
            notify_unit(unit=unit, text=text, kind=Kind.TOPIC, url=url)
        announce(
            department=department,
            title=_("约稿:%(title)s") % {"title": topic.title},
            text=_("截止 %(deadline)s。%(wanted)s")
            % {"deadline": deadline, "wanted": topic.wanted[:150]},
            url=url,
        )
        audit_record(
            actor=actor,
            action="topic.create",
            obj=topic,
            changes={
                "deadline": deadline_at.isoformat(),
                "targeting": data.targeting,
                "units": [u.code for u in units],
            },
        )
    return topic


def topic_close(*, topic: Topic, actor: User, now: datetime.datetime | None = None) -> Topic:
    """Stop taking answers. Only after the deadline: before it, units are still counted on."""
    now = now or timezone.now()
    if not is_department_staff(actor) or topic.department_id != actor.unit_id:
        raise NotAllowed(_("您无权结束这个约稿。"))
    if not topic.is_open:
        raise InvalidInput(_("这个约稿已经结束。"))
    if now <= topic.deadline:
        raise InvalidInput(_("截止时间之前不能结束约稿。"))
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(state=Topic.State.CLOSED, closed_at=now)
        do_close_overdue_targets(now, topic_id=topic.pk)
        audit_record(actor=actor, action="topic.close", obj=topic)
    topic.refresh_from_db()
    return topic


def unit_target_of(topic: Topic, user: User) -> TopicTarget:
    if not user.has_role(Role.OFFICER, Role.UNIT_LEADER) or user.unit_id is None:
        raise NotAllowed(_("只有约稿对象单位的信息员和分管领导可以办理。"))
    target = TopicTarget.objects.filter(topic=topic, unit_id=user.unit_id).first()
    if target is None:
        raise NotAllowed(_("这个约稿没有发给您的单位。"))
    return target


def topic_mark_read(*, topic: Topic, actor: User, now: datetime.datetime | None = None) -> bool:
    """Record that the actor's unit opened the topic; only the first opening counts.
    Department staff reading it record nothing. Returns whether this call recorded it."""
    if not actor.has_role(Role.OFFICER, Role.UNIT_LEADER) or actor.unit_id is None:
        return False
    now = now or timezone.now()
    return bool(
        TopicTarget.objects.filter(topic=topic, unit_id=actor.unit_id, read_at=None).update(
            read_at=now, read_by=actor
        )
    )


def topic_decline(*, topic: Topic, actor: User, reason: str) -> TopicTarget:
    """The unit says, with a reason, that it will not write for this topic."""
    reason = reason.strip()
    target = unit_target_of(topic, actor)
    if not topic.is_open:
        raise InvalidInput(_("这个约稿已经结束。"))
    if not reason:
        raise InvalidInput(_("请填写不报的原因。"))
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("原因不能超过 %(max)d 字。") % {"max": REASON_MAX})
    if target.answered_at is not None:
        raise InvalidInput(_("本单位已经回复了这个约稿。"))
    if target.declined_at is not None:
        raise InvalidInput(_("本单位已经说明过不报的原因。"))
    now = timezone.now()
    with transaction.atomic():
        TopicTarget.objects.filter(pk=target.pk).update(
            declined_at=now,
            declined_by=actor,
            decline_reason=reason,
            read_at=target.read_at or now,
            read_by=target.read_by or actor,
        )
        audit_record(actor=actor, action="topic.decline", obj=topic, changes={"reason": reason})
    target.refresh_from_db()
    return target


def do_target_refresh(
    *, topic_id: int, unit_id: int, now: datetime.datetime | None = None
) -> TopicTarget | None:
    """Recompute one target's answer facts from the unit's items linked to the topic.

    An item counts from its last ``submit`` (the move that takes it off the officer's desk, to
    the sign-off leader or the department) as long as it has not gone back to draft since
    (withdrawn, sign-off refused). The unit answered at the earliest such moment among its items;
    it was adopted at the first ``adopt`` of one of them. Idempotent.
    """
    target = (
        TopicTarget.objects.select_related("topic").filter(topic_id=topic_id, unit_id=unit_id)
    ).first()
    if target is None:
        return None
    now = now or timezone.now()
    live = Item.objects.filter(topic_id=topic_id, unit_id=unit_id).exclude(state=State.DRAFT)
    events = ItemEvent.objects.filter(item__in=live)
    submissions = events.filter(action="submit").values("item_id").annotate(at=Max("created_at"))
    answered_at = min((row["at"] for row in submissions), default=None)
    adopted_at = events.filter(action="adopt").aggregate(at=Min("created_at"))["at"]
    deadline = target.topic.deadline
    if answered_at is not None:
        outcome = (
            TopicTarget.Outcome.ANSWERED_ON_TIME
            if answered_at <= deadline
            else TopicTarget.Outcome.ANSWERED_LATE
        )
    elif now > deadline:
        outcome = TopicTarget.Outcome.MISSED
    else:
        outcome = TopicTarget.Outcome.PENDING
    changed = (target.answered_at, target.adopted_at, target.outcome) != (
        answered_at,
        adopted_at,
        outcome,
    )
    if changed:
        target.answered_at, target.adopted_at, target.outcome = answered_at, adopted_at, outcome
        target.save(update_fields=["answered_at", "adopted_at", "outcome"])
    return target


def do_targets_rebuild() -> int:
    """Refresh every topic target from the items (after timestamps were rewritten in bulk)."""
    count = 0
    for topic_id, unit_id in TopicTarget.objects.values_list("topic_id", "unit_id").iterator():
        with transaction.atomic():
            do_target_refresh(topic_id=topic_id, unit_id=unit_id)
        count += 1
    return count


def do_close_overdue_targets(now: datetime.datetime, *, topic_id: int | None = None) -> int:
    """Mark ``missed`` every target still pending after its topic's deadline (idempotent)."""
    qs = TopicTarget.objects.filter(
        outcome=TopicTarget.Outcome.PENDING, answered_at=None, topic__deadline__lt=now
    )
    if topic_id is not None:
        qs = qs.filter(topic_id=topic_id)
    return qs.update(outcome=TopicTarget.Outcome.MISSED)


def close_overdue(now: datetime.datetime) -> int:
    """The periodic job: targets whose deadline passed without an answer become ``missed``.
    Running it twice changes nothing the second time. Returns how many were marked."""
    with transaction.atomic():
        return do_close_overdue_targets(now)


# ----------------------------------------------------------------------------------------------
# Urgency escalation
# ----------------------------------------------------------------------------------------------


def escalate_overdue(now: datetime.datetime) -> int:
    """Tell the department leaders about each urgent item still waiting for the editor's first
    action past its limit, once per item: the row is claimed with one conditional update
    (``escalated_at``), so two runs at once still send one message. Returns how many items."""
    candidates = (
        Timeliness.objects.filter(
            act_due_at__lt=now,
            first_action_at=None,
            escalated_at=None,
            item__state=State.SUBMITTED,
        )
        .select_related("item", "item__unit")
        .order_by("act_due_at")
    )
    escalated = 0
    for record in candidates:
        item = record.item
        with transaction.atomic():
            claimed = Timeliness.objects.filter(item_id=item.pk, escalated_at=None).update(
                escalated_at=now
            )
            if not claimed:
                continue
            leaders = User.objects.filter(
                unit_id=item.department_id, role=Role.DEPT_LEADER, is_active=True
            ).values_list("pk", flat=True)
            late = now - (record.act_due_at or now)
            minutes = max(1, int(late.total_seconds() // 60))
            text = _(
                "%(urgency)s信息超时未处理:%(unit)s《%(title)s》,已超时 %(minutes)d 分钟。"
            ) % {
                "urgency": item.get_urgency_display(),
                "unit": item.unit.display_name,
                "title": item.title,
                "minutes": minutes,
            }
            notify_users(recipients=leaders, text=text, kind=Kind.ESCALATION, item=item)
            audit_record(actor=None, action="item.escalate", obj=item, changes={"to": "leaders"})
            escalated += 1
    return escalated


# ----------------------------------------------------------------------------------------------
# Key work
# ----------------------------------------------------------------------------------------------


@dataclass
class AreaData:
    name: str
    year: int
    parent: KeyWorkArea | None = None
    description: str = ""
    sort_order: int = 0
    is_active: bool = True


def check_key_work_editor(actor: User) -> Unit:
    if not actor.has_role(Role.EDITOR) or actor.unit_id is None:
        raise NotAllowed(_("只有编辑可以维护工作要点。"))
    return actor.home_unit


def key_work_area_save(
    *, actor: User, data: AreaData, area: KeyWorkArea | None = None
) -> KeyWorkArea:
    """Create (``area`` None) or change one area of the actor's department."""
    department = check_key_work_editor(actor)
    if area is not None and area.department_id != department.pk:
        raise NotAllowed(_("您无权修改这个工作要点。"))
    name = " ".join(data.name.split())
    if not name:
        raise InvalidInput(_("请填写名称。"))
    if len(name) > 100:
        raise InvalidInput(_("名称不能超过 100 个字。"))
    if not 2000 <= data.year <= 2100:
        raise InvalidInput(_("年度无效。"))
    if area is not None and area.year != data.year and area.children.exists():
        raise InvalidInput(_("有下级要点的要点不能改年度。"))
    target = area or KeyWorkArea(department=department)
    before = None if area is None else (area.name, area.parent_id, area.year, area.sort_order)
    target.name, target.year, target.parent = name, data.year, data.parent
    target.description, target.sort_order = data.description.strip(), data.sort_order
    target.is_active = data.is_active
    try:
        target.clean()
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages)) from None
    with transaction.atomic():
        target.save()
        audit_record(
            actor=actor,
            action="keywork.create" if area is None else "keywork.update",
            obj=target,
            changes={
                "before": before,
                "after": (target.name, target.parent_id, target.year, target.sort_order),
            },
        )
    return target


def key_work_area_delete(*, actor: User, area: KeyWorkArea) -> None:
    """Delete an area nothing refers to; otherwise it can only be switched off."""
    department = check_key_work_editor(actor)
    if area.department_id != department.pk:
        raise NotAllowed(_("您无权删除这个工作要点。"))
    if area.children.exists() or area.tags.exists() or area.topics.exists():
        raise InvalidInput(_("这个要点已有下级、已标注信息或约稿,不能删除,可改为停用。"))
    with transaction.atomic():
        audit_record(actor=actor, action="keywork.delete", obj=area)
        area.delete()


def may_tag(user: User, item: Item) -> bool:
    """The officer of the item's unit picks areas until the item is decided; the editor of the
    receiving department corrects them at any time."""
    if item_permissions.plays(user, item, Part.EDITOR):
        return True
    return item_permissions.plays(user, item, Part.OFFICER) and item.state not in DECIDED


def item_key_work_set(*, item: Item, actor: User, areas: Sequence[KeyWorkArea]) -> list[int]:
    """Replace the item's key-work areas with ``areas``. Returns the area ids now tagged."""
    if not item_permissions.can_see(actor, item) or not may_tag(actor, item):
        raise NotAllowed(_("您无权标注这条信息的工作要点。"))
    if any(a.department_id != item.department_id or not a.is_active for a in areas):
        raise InvalidInput(_("只能选择本部门启用的工作要点。"))
    wanted = {a.pk for a in areas}
    with transaction.atomic():
        current = set(KeyWorkTag.objects.filter(item=item).values_list("area_id", flat=True))
        removed, added = current - wanted, wanted - current
        if not removed and not added:
            return sorted(current)
        KeyWorkTag.objects.filter(item=item, area_id__in=removed).delete()
        KeyWorkTag.objects.bulk_create(
            [KeyWorkTag(item=item, area_id=pk, tagged_by=actor) for pk in sorted(added)]
        )
        audit_record(
            actor=actor,
            action="item.key_work",
            obj=item,
            changes={"added": sorted(added), "removed": sorted(removed)},
        )
    return sorted(wanted)
