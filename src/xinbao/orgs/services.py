"""Writes to the org tree and users. Derived fields (``Unit.path``, ``Unit.department``) are set
here and nowhere else."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record, diff_fields
from xinbao.items.attachments import check_upload
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Item, State
from xinbao.orgs.models import (
    Attendance,
    ExemplaryItem,
    OfficerEvent,
    Role,
    TrainingMaterial,
    TrainingSession,
    Unit,
    User,
    allowed_classes,
    default_class,
)
from xinbao.orgs.permissions import check_account_manager, check_roster_editor, is_editor_of
from xinbao.search.normalize import normalize


def derive_tree_fields(unit: Unit) -> None:
    """Set ``path`` and ``department`` from the parent (which must already be saved)."""
    parent = unit.parent
    if parent is None:
        unit.path = f"/{unit.code}/"
        unit.department = None
        return
    unit.path = f"{parent.path}{unit.code}/"
    unit.department = parent if parent.is_org_department else parent.department
    if not unit.assessment_class:
        unit.assessment_class = default_class(unit.kind)


def unit_save(*, unit: Unit, actor: User | None, action: str = "unit.save") -> Unit:
    """Validate and save ``unit``; when its code, parent or kind changed, re-derive its
    subtree."""
    with transaction.atomic():
        before = unit_snapshot(Unit.objects.get(pk=unit.pk)) if unit.pk else {}
        old = Unit.objects.filter(pk=unit.pk).values_list("path", "kind").first()
        # A new kind makes an old assessment class it does not allow meaningless: back to the
        # kind's default.
        kind_changed = old is not None and old[1] != unit.kind
        if kind_changed and unit.assessment_class not in allowed_classes(unit.kind):
            unit.assessment_class = default_class(unit.kind)
        unit.full_clean(exclude=["path", "department"])
        derive_tree_fields(unit)
        unit.save()
        # Descendants derive from this unit's path, and from its kind (whether it is the
        # organization department they report to).
        if old is not None and old != (unit.path, unit.kind):
            rederive_subtree(unit)
        audit_record(
            actor=actor, action=action, obj=unit, changes=diff_fields(before, unit_snapshot(unit))
        )
    return unit


def rederive_subtree(root: Unit) -> int:
    """Re-derive path and department for every unit below ``root``, top down. Returns the count."""
    count = 0
    frontier = [root]
    while frontier:
        children = list(
            Unit.objects.filter(parent__in=frontier).select_related("parent").order_by("id")
        )
        by_id = {u.pk: u for u in frontier}
        for child in children:
            child.parent = by_id[child.parent_id]  # type: ignore[index]  # filtered on parent
            derive_tree_fields(child)
        Unit.objects.bulk_update(children, ["path", "department"], batch_size=500)
        count += len(children)
        frontier = children
    return count


def unit_snapshot(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "level": unit.level,
        "parent": unit.parent_id,
        "is_active": unit.is_active,
        "requires_signoff": unit.requires_signoff,
        "assessment_class": unit.assessment_class,
    }


# --- the officer team: appointments, moves, rank changes, leaving ------------------------------
# Who may do which is in ``orgs.permissions`` (三员分立: see its docstring).


def _check_officer(officer: User) -> None:
    if officer.role != Role.OFFICER:
        raise InvalidInput(_("该账号不是信息员账号。"))


def _check_unit(unit: Unit) -> None:
    if unit.is_org_department or not unit.is_active or unit.department_id is None:
        raise InvalidInput(_("只能任命到向组织部门报送信息的基层单位。"))


def _record(
    *,
    officer: User,
    kind: str,
    actor: User,
    occurred_on: datetime.date,
    from_unit: Unit | None = None,
    from_rank: str = "",
    note: str = "",
) -> OfficerEvent:
    event = OfficerEvent(
        officer=officer,
        kind=kind,
        unit=officer.home_unit,
        from_unit=from_unit,
        rank=officer.officer_rank,
        from_rank=from_rank,
        post=officer.post,
        occurred_on=occurred_on,
        note=note[:200],
        recorded_by=actor,
    )
    event.save()
    audit_record(
        actor=actor,
        action=f"officer.{kind}",
        obj=officer,
        changes={
            "unit": officer.home_unit.code,
            "from_unit": from_unit.code if from_unit else None,
            "rank": officer.officer_rank,
            "from_rank": from_rank or None,
            "post": officer.post,
            "occurred_on": occurred_on.isoformat(),
            "note": note,
        },
    )
    return event


def _locked(officer: User) -> User:
    return User.objects.select_for_update(of=("self",)).select_related("unit").get(pk=officer.pk)


def officer_appoint(
    *,
    actor: User,
    officer: User,
    unit: Unit,
    rank: str,
    post: str,
    appointed_on: datetime.date,
    phone: str | None = None,
) -> OfficerEvent:
    """Appoint an existing officer account (created by the system administrator or the unit
    importer) to ``unit`` as ``rank`` with ``post``; a departed officer is re-activated."""
    check_roster_editor(actor, unit)
    _check_unit(unit)
    if rank not in User.OfficerRank.values:
        raise InvalidInput(_("请选择信息员类别。"))
    with transaction.atomic():
        officer = _locked(officer)
        _check_officer(officer)
        from_unit = officer.unit if officer.unit_id != unit.pk else None
        if from_unit is not None and from_unit.department_id != unit.department_id:
            # Another department's account: that department or the administrator moves it.
            raise NotAllowed(_("该信息员属于其他组织部门,不能在本部门任命。"))
        from_rank = officer.officer_rank
        officer.unit, officer.officer_rank, officer.post = unit, rank, post.strip()[:60]
        officer.appointed_on, officer.is_active = appointed_on, True
        if phone is not None:
            officer.set_contact_phone(phone)
        officer.full_clean(exclude=["password"])
        officer.save()
        return _record(
            officer=officer,
            kind=OfficerEvent.Kind.APPOINTED,
            actor=actor,
            occurred_on=appointed_on,
            from_unit=from_unit,
            from_rank=from_rank,
        )


def officer_move(
    *, actor: User, officer: User, to_unit: Unit, occurred_on: datetime.date, note: str = ""
) -> OfficerEvent:
    """Move an officer to another unit. Their items stay with the unit they were written for
    (``Item.unit`` does not follow the person); their history goes with them."""
    _check_unit(to_unit)
    with transaction.atomic():
        officer = _locked(officer)
        _check_officer(officer)
        from_unit = officer.home_unit
        check_account_manager(actor, from_unit)
        check_account_manager(actor, to_unit)
        if not officer.is_active:
            raise InvalidInput(_("该信息员已离任,请重新任命。"))
        if from_unit.pk == to_unit.pk:
            raise InvalidInput(_("调入单位与现单位相同。"))
        officer.unit = to_unit
        officer.save(update_fields=["unit"])
        return _record(
            officer=officer,
            kind=OfficerEvent.Kind.MOVED,
            actor=actor,
            occurred_on=occurred_on,
            from_unit=from_unit,
            note=note,
        )


def officer_rank_change(
    *,
    actor: User,
    officer: User,
    rank: str,
    occurred_on: datetime.date,
    post: str | None = None,
    note: str = "",
) -> OfficerEvent:
    """Change an officer's rank (主信息员 / 信息员 / 后备信息员) and, optionally, post."""
    if rank not in User.OfficerRank.values:
        raise InvalidInput(_("请选择信息员类别。"))
    with transaction.atomic():
        officer = _locked(officer)
        _check_officer(officer)
        check_roster_editor(actor, officer.home_unit)
        if not officer.is_active:
            raise InvalidInput(_("该信息员已离任,请重新任命。"))
        from_rank = officer.officer_rank
        if rank == from_rank and (post is None or post.strip() == officer.post):
            raise InvalidInput(_("类别和职务都没有变化。"))
        officer.officer_rank = rank
        if post is not None:
            officer.post = post.strip()[:60]
        officer.save(update_fields=["officer_rank", "post"])
        return _record(
            officer=officer,
            kind=OfficerEvent.Kind.RANK_CHANGED,
            actor=actor,
            occurred_on=occurred_on,
            from_rank=from_rank,
            note=note,
        )


def officer_leave(
    *, actor: User, officer: User, occurred_on: datetime.date, note: str = ""
) -> OfficerEvent:
    """Record that an officer left: the account is deactivated, never deleted, so their items
    stay with their unit and their history and portfolio stay with them."""
    with transaction.atomic():
        officer = _locked(officer)
        _check_officer(officer)
        check_account_manager(actor, officer.home_unit)
        if not officer.is_active:
            raise InvalidInput(_("该信息员已经离任。"))
        officer.is_active = False
        officer.save(update_fields=["is_active"])
        return _record(
            officer=officer,
            kind=OfficerEvent.Kind.LEFT,
            actor=actor,
            occurred_on=occurred_on,
            note=note,
        )


# --- training ---------------------------------------------------------------------------------


def training_create(
    *,
    actor: User,
    held_on: datetime.date,
    topic: str,
    trainer: str = "",
    place: str = "",
    notes: str = "",
) -> TrainingSession:
    """A training session of the actor's department (editors only)."""
    department = actor.unit
    if department is None or not is_editor_of(actor, department.pk):
        raise NotAllowed(_("只有组织部门的编辑可以登记培训。"))
    if not topic.strip():
        raise InvalidInput(_("请填写培训主题。"))
    with transaction.atomic():
        session = TrainingSession.objects.create(
            department=department,
            held_on=held_on,
            topic=topic.strip()[:200],
            trainer=trainer.strip()[:100],
            place=place.strip()[:100],
            notes=notes.strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="training.create",
            obj=session,
            changes={"held_on": held_on.isoformat(), "topic": session.topic},
        )
    return session


def training_material_add(
    *,
    actor: User,
    session: TrainingSession,
    title: str,
    url: str = "",
    upload: UploadedFile | None = None,
) -> TrainingMaterial:
    """A link or a file (checked exactly as an item's attachment) for ``session``."""
    if not is_editor_of(actor, session.department_id):
        raise NotAllowed(_("只有本部门的编辑可以上传培训材料。"))
    if (upload is None) == (not url):
        raise InvalidInput(_("请上传一个文件或填写一个链接(二者选一)。"))
    checked = check_upload(upload, actor=actor, obj=session) if upload is not None else None
    with transaction.atomic():
        material = TrainingMaterial(
            session=session,
            title=(title.strip() or (checked.name if checked else url))[:200],
            url=url,
            uploaded_by=actor,
        )
        if checked is not None:
            material.original_name = checked.name
            material.content_type, material.size = checked.mime, len(checked.data)
            material.sha256 = checked.sha256
            material.file.save(checked.sha256, ContentFile(checked.data), save=False)
        material.save()
        audit_record(
            actor=actor,
            action="training.material_add",
            obj=session,
            changes={"title": material.title, "url": url, "sha256": material.sha256},
        )
    return material


def attendance_record(
    *, actor: User, session: TrainingSession, marks: dict[int, str]
) -> list[Attendance]:
    """Set the attendance of officers (id → status) at ``session``. Each officer must be an
    officer of a unit of the session's department; their unit today is recorded with it."""
    if not is_editor_of(actor, session.department_id):
        raise NotAllowed(_("只有本部门的编辑可以登记出勤。"))
    if any(status not in Attendance.Status.values for status in marks.values()):
        raise InvalidInput(_("出勤情况只能是出席、缺席或请假。"))
    officers = {
        o.pk: o
        for o in User.objects.filter(
            pk__in=list(marks), role=Role.OFFICER, unit__department_id=session.department_id
        )
    }
    if len(officers) != len(marks):
        raise InvalidInput(_("名单中有不属于本部门的信息员。"))
    with transaction.atomic():
        rows = []
        for pk, status in sorted(marks.items()):
            row, _created = Attendance.objects.update_or_create(
                session=session,
                officer_id=pk,
                defaults={"status": status, "unit_id": officers[pk].unit_id},
            )
            rows.append(row)
        audit_record(
            actor=actor,
            action="training.attendance",
            obj=session,
            changes={"marks": {str(k): v for k, v in sorted(marks.items())}},
        )
    return rows


# --- the library of exemplary items (优秀信息范文) ----------------------------------------------


def adopted_text(item: Item) -> tuple[str, str]:
    """The text as adopted: the newest published entry's headline and text, else the item's
    own title and body (the editor's last revision, which adoption froze)."""
    from xinbao.publishing.models import IssueEntry, PublicationIssue

    entry = (
        IssueEntry.objects.filter(item=item, issue__state=PublicationIssue.State.PUBLISHED)
        .order_by("-issue__published_at", "-id")
        .first()
    )
    if entry is not None:
        return entry.headline, entry.text
    return item.title, item.body


def exemplary_choose(*, actor: User, item: Item, commentary: str) -> ExemplaryItem:
    """Put an adopted item of the actor's department into the library, with a commentary.
    Items marked 内部信息,不宜公开 are refused: the library is read by every officer of the
    department, far beyond the editors and the item's own unit."""
    if not is_editor_of(actor, item.department_id):
        raise NotAllowed(_("只有本部门的编辑可以选入优秀信息范文。"))
    if item.state != State.ADOPTED:
        raise InvalidInput(_("只有已采用的信息才能选为范文。"))
    if item.is_internal:
        raise InvalidInput(_("这条信息标为“内部信息,不宜公开”,不能选为范文。"))
    if not commentary.strip():
        raise InvalidInput(_("请写上点评:这篇信息好在哪里。"))
    with transaction.atomic():
        if ExemplaryItem.objects.filter(item=item).exists():
            raise InvalidInput(_("这条信息已经是范文了。"))
        title, text = adopted_text(item)
        exemplary = ExemplaryItem.objects.create(
            item=item,
            department_id=item.department_id,
            category_id=item.category_id,
            unit_name=item.unit.name,
            title=title,
            text=text,
            commentary=commentary.strip(),
            search_text=normalize(f"{title}\n{text}\n{commentary}"),
            chosen_by=actor,
        )
        audit_record(
            actor=actor,
            action="exemplary.choose",
            obj=exemplary,
            changes={"item": item.pk, "commentary": exemplary.commentary},
        )
    return exemplary


def exemplary_remove(*, actor: User, exemplary: ExemplaryItem) -> None:
    if not is_editor_of(actor, exemplary.department_id):
        raise NotAllowed(_("只有本部门的编辑可以移出范文。"))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="exemplary.remove",
            obj=exemplary,
            changes={"item": exemplary.item_id},
        )
        exemplary.delete()
