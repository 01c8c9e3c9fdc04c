"""Every write to publications, issues, forwardings, upper-level adoptions and instructions.

Each function is one transaction, checks the actor, and writes the audit record. Refusals raise
``ItemError`` subclasses with a Chinese message and change nothing.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items.attachments import sniff
from xinbao.items.errors import IllegalMove, InvalidInput, NotAllowed
from xinbao.items.models import Item, normalize_body
from xinbao.items.permissions import can_see, check_editor_of
from xinbao.items.services import do_secrecy_refresh, lock_item
from xinbao.notify.models import Kind
from xinbao.notify.services import notify_unit
from xinbao.publishing import rules
from xinbao.publishing.models import (
    ExternalAdoption,
    Forwarding,
    Instruction,
    IssueEntry,
    Level,
    Publication,
    PublicationIssue,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from xinbao.orgs.models import User


def check_sees(actor: User, item: Item) -> None:
    if not can_see(actor, item):
        raise NotAllowed(_("您无权处理这条信息。"))


def check_draft(issue: PublicationIssue) -> None:
    if issue.is_frozen:
        raise IllegalMove(_("本期已发布,不能再修改;如需更正,请发起更正。"))


def issue_create(*, publication: Publication, actor: User) -> PublicationIssue:
    check_editor_of(actor, publication.department)
    if not publication.is_active:
        raise InvalidInput(_("该刊物已停用。"))
    with transaction.atomic():
        issue = PublicationIssue.objects.create(
            publication=publication,
            created_by=actor,
            compiler=actor.display_name,
            issue_date=timezone.localdate(),
            distribution=publication.distribution,
        )
        audit_record(actor=actor, action="issue.create", obj=issue)
    return issue


def issue_update_meta(
    *,
    issue: PublicationIssue,
    actor: User,
    title: str,
    issue_date: datetime.date | None,
    compiler: str,
    signer: str,
    distribution: str,
) -> PublicationIssue:
    check_editor_of(actor, issue.publication.department)
    with transaction.atomic():
        issue = lock_issue(issue)
        check_draft(issue)
        issue.title, issue.issue_date = title.strip(), issue_date
        issue.compiler, issue.signer = compiler.strip(), signer.strip()
        issue.distribution = distribution.strip()
        issue.save()
        audit_record(
            actor=actor,
            action="issue.update",
            obj=issue,
            changes={"title": title, "issue_date": str(issue_date), "signer": signer},
        )
    return issue


def default_source_line(item: Item) -> str:
    """“（XX镇供稿）”, in the full-width brackets of printed Chinese."""
    return "\uff08" + _("%(unit)s供稿") % {"unit": item.unit.name} + "\uff09"


def issue_add_item(*, issue: PublicationIssue, item: Item, actor: User) -> IssueEntry:
    """Carry ``item`` in ``issue``: the entry starts as a copy of the item's current text."""
    department = issue.publication.department
    check_editor_of(actor, department)
    with transaction.atomic():
        issue = lock_issue(issue)
        check_draft(issue)
        item = lock_item(item.pk)
        if not rules.may_carry(department, item):
            raise InvalidInput(_("只能编入本部门已采用的信息(或已采用的转报信息)。"))
        if issue.publication.is_web_column and item.is_internal:
            raise InvalidInput(_("这条信息标记为“内部,不宜公开”,不能编入网站专栏。"))
        if issue.publication.is_web_column and item.secrecy_findings is None:
            do_secrecy_refresh(item)  # not checked since the upgrade (items/0006): check now
        if issue.publication.is_web_column and item.secrecy_findings:
            raise InvalidInput(_("这条信息有未消除的保密自查提示,不能编入网站专栏。"))
        if issue.entries.filter(item=item).exists():
            raise InvalidInput(_("这条信息已在本期中。"))
        position = (issue.entries.aggregate(m=Max("position"))["m"] or 0) + 1
        entry = IssueEntry.objects.create(
            issue=issue,
            item=item,
            position=position,
            headline=item.title,
            text=item.body,
            source_line=default_source_line(item),
        )
        audit_record(
            actor=actor,
            action="issue.add_item",
            obj=issue,
            changes={"item": item.pk, "position": position},
        )
    return entry


def entry_update(
    *,
    entry: IssueEntry,
    actor: User,
    headline: str,
    text: str,
    editor_note: str,
    source_line: str,
) -> IssueEntry:
    check_editor_of(actor, entry.issue.publication.department)
    headline = " ".join(headline.split())
    text = normalize_body(text)
    if not headline or not text:
        raise InvalidInput(_("刊发标题和正文都不能为空。"))
    if len(headline) > 200:
        raise InvalidInput(_("刊发标题不能超过 200 个字。"))
    with transaction.atomic():
        check_draft(lock_issue(entry.issue))
        before = {
            "headline": entry.headline,
            "text": entry.text,
            "editor_note": entry.editor_note,
            "source_line": entry.source_line,
        }
        entry.headline, entry.text = headline, text
        entry.editor_note, entry.source_line = editor_note.strip(), source_line.strip()
        entry.save()
        after = {
            "headline": headline,
            "text": text,
            "editor_note": entry.editor_note,
            "source_line": entry.source_line,
        }
        audit_record(
            actor=actor,
            action="issue.edit_entry",
            obj=entry.issue,
            changes={k: [before[k][:80], after[k][:80]] for k in after if before[k] != after[k]},
        )
    return entry


def issue_remove_entry(*, entry: IssueEntry, actor: User) -> None:
    check_editor_of(actor, entry.issue.publication.department)
    with transaction.atomic():
        issue = lock_issue(entry.issue)
        check_draft(issue)
        entry.delete()
        audit_record(
            actor=actor, action="issue.remove_item", obj=issue, changes={"item": entry.item_id}
        )


def issue_reorder(*, issue: PublicationIssue, actor: User, entry_ids: list[int]) -> None:
    check_editor_of(actor, issue.publication.department)
    with transaction.atomic():
        issue = lock_issue(issue)
        check_draft(issue)
        entries = {e.pk: e for e in issue.entries.all()}
        if sorted(entry_ids) != sorted(entries):
            raise InvalidInput(_("排序数据与本期内容不一致,请刷新页面后重试。"))
        for position, pk in enumerate(entry_ids, start=1):
            entries[pk].position = position
        IssueEntry.objects.bulk_update(entries.values(), ["position"])
        audit_record(actor=actor, action="issue.reorder", obj=issue, changes={"order": entry_ids})


def entries_with_findings(issue: PublicationIssue) -> list[str]:
    """Headlines of the entries whose edited text has 保密 self-check findings (the text an
    editor may change after the item was checked)."""
    from xinbao.items.queries import text_findings

    department_id = issue.publication.department_id
    return [
        entry.headline
        for entry in issue.entries.order_by("position", "id")
        if text_findings(department_id=department_id, title=entry.headline, body=entry.text)
    ]


def issue_publish(*, issue: PublicationIssue, actor: User) -> PublicationIssue:
    """Number and freeze the issue.

    Takes the publication's row lock first, so two editors publishing at once are serialized and
    the counters on the publication advance by exactly one each time; a rolled-back publish rolls
    the counters back with it, so numbers never skip. A correction keeps the number of the issue
    it corrects and marks that one superseded.
    """
    publication = issue.publication
    check_editor_of(actor, publication.department)
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        issue = lock_issue(issue)
        check_draft(issue)
        if not issue.entries.exists():
            raise InvalidInput(_("本期还没有编入任何信息,不能发布。"))
        if issue.issue_date is None:
            raise InvalidInput(_("请填写出刊日期。"))
        if publication.is_web_column and issue.entries.filter(item__is_internal=True).exists():
            raise InvalidInput(_("本期含有标记为“内部,不宜公开”的信息,网站专栏不能发布,请先移除。"))
        if publication.is_web_column:
            unchecked = Item.objects.select_for_update().filter(
                pk__in=issue.entries.values("item_id"), secrecy_findings__isnull=True
            )
            for unchecked_item in unchecked:  # entries added before the upgrade (items/0006)
                do_secrecy_refresh(unchecked_item)
        flagged = issue.entries.exclude(item__secrecy_findings=0)  # NULL: unchecked, flagged
        if publication.is_web_column and flagged.exists():
            raise InvalidInput(_("本期含有有未消除保密自查提示的信息,网站专栏不能发布,请先移除。"))
        if publication.is_web_column and entries_with_findings(issue):
            raise InvalidInput(
                _("本期有条目的刊发文字含保密自查提示,网站专栏不能发布,请先修改:%(titles)s")
                % {"titles": "、".join(entries_with_findings(issue))}
            )
        if issue.revision_of_id is not None:
            original = PublicationIssue.objects.select_for_update().get(pk=issue.revision_of_id)
            original.state = PublicationIssue.State.SUPERSEDED
            original.save(update_fields=["state"])
        else:
            year = issue.issue_date.year
            if publication.last_year is not None and year < publication.last_year:
                raise InvalidInput(
                    _("出刊年份早于该刊最近一期(%(year)d年),请检查出刊日期。")
                    % {"year": publication.last_year}
                )
            number = publication.last_number + 1 if publication.last_year == year else 1
            publication.last_year, publication.last_number = year, number
            publication.last_total_number += 1
            publication.save(update_fields=["last_year", "last_number", "last_total_number"])
            issue.year, issue.number = year, number
            issue.total_number = publication.last_total_number
        issue.state = PublicationIssue.State.PUBLISHED
        issue.published_at, issue.published_by = timezone.now(), actor
        issue.save()
        audit_record(
            actor=actor,
            action="issue.publish",
            obj=issue,
            changes={
                "year": issue.year,
                "number": issue.number,
                "total_number": issue.total_number,
                "revision": issue.revision,
            },
        )
        if issue.revision == 0:
            for entry in issue.entries.select_related("item__unit"):
                notify_unit(
                    unit=entry.item.unit,
                    item=entry.item,
                    kind=Kind.RECOGNITION,
                    text=_("您单位的信息《%(title)s》被《%(pub)s》%(label)s采用。")
                    % {
                        "title": entry.item.title,
                        "pub": publication.name,
                        "label": issue.number_label,
                    },
                )
    return issue


def issue_correct(*, issue: PublicationIssue, actor: User, reason: str) -> PublicationIssue:
    """Start a correction of a published issue: a new draft revision with the same number."""
    check_editor_of(actor, issue.publication.department)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("请填写更正原因。"))
    with transaction.atomic():
        issue = lock_issue(issue)
        if issue.state != PublicationIssue.State.PUBLISHED:
            raise IllegalMove(_("只能更正已发布的当期。"))
        if issue.corrections.filter(state=PublicationIssue.State.DRAFT).exists():
            raise IllegalMove(_("这一期已有一份正在编辑的更正稿。"))
        correction = PublicationIssue.objects.create(
            publication=issue.publication,
            year=issue.year,
            number=issue.number,
            total_number=issue.total_number,
            revision=issue.revision + 1,
            revision_of=issue,
            revision_reason=reason,
            title=issue.title,
            issue_date=issue.issue_date,
            compiler=issue.compiler,
            signer=issue.signer,
            distribution=issue.distribution,
            created_by=actor,
        )
        IssueEntry.objects.bulk_create(
            IssueEntry(
                issue=correction,
                item_id=e.item_id,
                position=e.position,
                headline=e.headline,
                text=e.text,
                editor_note=e.editor_note,
                source_line=e.source_line,
            )
            for e in issue.entries.all()
        )
        audit_record(
            actor=actor,
            action="issue.correct",
            obj=correction,
            changes={"corrects": issue.pk, "reason": reason},
        )
    return correction


def lock_issue(issue: PublicationIssue) -> PublicationIssue:
    return (
        PublicationIssue.objects.select_for_update()
        .select_related("publication__department")
        .get(pk=issue.pk)
    )


def item_forward(*, item: Item, actor: User, note: str = "") -> Forwarding:
    """Send an item the actor's department has adopted up to the parent organization
    department (转报)."""
    department = actor.home_unit
    check_editor_of(actor, department)
    check_sees(actor, item)
    target = department.department
    if target is None:
        raise InvalidInput(_("本部门没有上级组织部门,无法转报。"))
    with transaction.atomic():
        if not rules.may_carry(department, item):
            raise InvalidInput(_("只能转报本部门已采用的信息。"))
        if Forwarding.objects.filter(item=item, to_department=target).exists():
            raise InvalidInput(_("这条信息已转报%(dept)s。") % {"dept": target.name})
        forwarding = Forwarding.objects.create(
            item=item,
            from_department=department,
            to_department=target,
            note=note.strip(),
            forwarded_by=actor,
        )
        audit_record(
            actor=actor,
            action="item.forward",
            obj=item,
            changes={"to": target.code, "note": note.strip()},
        )
    return forwarding


def forwarding_decide(
    *, forwarding: Forwarding, actor: User, adopt: bool, comment: str = ""
) -> Forwarding:
    check_editor_of(actor, forwarding.to_department)
    comment = comment.strip()
    if not adopt and not comment:
        raise InvalidInput(_("不采用时请填写意见。"))
    with transaction.atomic():
        locked = (
            Forwarding.objects.select_for_update()
            .select_related("item__unit", "to_department")
            .get(pk=forwarding.pk)
        )
        if locked.state != Forwarding.State.PENDING:
            raise IllegalMove(_("这条转报信息已经处理过了。"))
        locked.state = Forwarding.State.ADOPTED if adopt else Forwarding.State.DECLINED
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.comment = comment
        locked.save()
        audit_record(
            actor=actor,
            action="forwarding.adopt" if adopt else "forwarding.decline",
            obj=locked.item,
            changes={"department": locked.to_department.code, "comment": comment},
        )
        if adopt:
            notify_unit(
                unit=locked.item.unit,
                item=locked.item,
                kind=Kind.RECOGNITION,
                text=_("您单位的信息《%(title)s》被%(dept)s采用。")
                % {"title": locked.item.title, "dept": locked.to_department.name},
            )
    return locked


def external_adoption_record(
    *,
    item: Item,
    actor: User,
    kind: str,
    level: str,
    outlet: str,
    issue_label: str,
    adopted_on: datetime.date,
    scan: UploadedFile | None = None,
) -> ExternalAdoption:
    check_editor_of(actor, actor.home_unit)
    check_sees(actor, item)
    if not rules.may_record_recognition(actor.home_unit, item):
        raise NotAllowed(_("只能为本部门收到的信息登记上级采用。"))
    errors = []
    if kind not in ExternalAdoption.Kind.values:
        errors.append(_("采用类型无效。"))
    if level not in Level.values:
        errors.append(_("级别无效。"))
    if not outlet.strip():
        errors.append(_("请填写刊物或媒体名称。"))
    if adopted_on > timezone.localdate():
        errors.append(_("采用日期不能晚于今天。"))
    scan_data, scan_mime = read_scan(scan, errors) if scan is not None else (b"", None)
    if errors:
        raise InvalidInput(" ".join(errors))
    with transaction.atomic():
        adoption = ExternalAdoption(
            item=item,
            kind=kind,
            level=level,
            outlet=outlet.strip(),
            issue_label=issue_label.strip(),
            adopted_on=adopted_on,
            recorded_by=actor,
        )
        if scan_mime is not None:
            # Stored under its digest, never under the uploaded name.
            name = hashlib.sha256(scan_data).hexdigest()[:32] + SCAN_TYPES[scan_mime]
            adoption.scan.save(name, ContentFile(scan_data), save=False)
        adoption.save()
        audit_record(
            actor=actor,
            action="item.external_adoption",
            obj=item,
            changes={
                "outlet": adoption.outlet,
                "level": level,
                "issue": adoption.issue_label,
                "date": str(adopted_on),
            },
        )
        notify_unit(
            unit=item.unit,
            item=item,
            kind=Kind.RECOGNITION,
            text=_("您单位的信息《%(title)s》被%(outlet)s%(label)s采用。")
            % {"title": item.title, "outlet": adoption.outlet, "label": adoption.issue_label},
        )
    return adoption


SCAN_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def read_scan(scan: UploadedFile, errors: list[str]) -> tuple[bytes, str | None]:
    """The scan's bytes and real type (sniffed from the content); problems go to ``errors``."""
    limit = settings.XINBAO_MAX_ATTACHMENT_BYTES
    if scan.size is None or scan.size > limit:
        errors.append(_("扫描件不能超过 %(size)s。") % {"size": filesizeformat(limit)})
        return b"", None
    data = scan.read()
    mime = sniff(data)
    if mime not in SCAN_TYPES:
        errors.append(_("扫描件只能是 PDF、JPG 或 PNG 文件。"))
        return b"", None
    return data, mime


def instruction_record(
    *,
    item: Item,
    actor: User,
    level: str,
    leader_title: str,
    leader_name: str,
    instructed_on: datetime.date,
    text: str,
    feedback_due_on: datetime.date | None = None,
) -> Instruction:
    check_editor_of(actor, actor.home_unit)
    check_sees(actor, item)
    if not rules.may_record_recognition(actor.home_unit, item):
        raise NotAllowed(_("只能为本部门收到的信息登记领导批示。"))
    errors = []
    if level not in Level.values:
        errors.append(_("领导级别无效。"))
    if not leader_title.strip():
        errors.append(_("请填写领导职务。"))
    if not text.strip():
        errors.append(_("请填写批示内容。"))
    if instructed_on > timezone.localdate():
        errors.append(_("批示日期不能晚于今天。"))
    if feedback_due_on is not None and feedback_due_on < instructed_on:
        errors.append(_("反馈期限不能早于批示日期。"))
    if errors:
        raise InvalidInput(" ".join(errors))
    with transaction.atomic():
        instruction = Instruction.objects.create(
            item=item,
            level=level,
            leader_title=leader_title.strip(),
            leader_name=leader_name.strip(),
            instructed_on=instructed_on,
            text=text.strip(),
            recorded_by=actor,
            feedback_due_on=feedback_due_on,
        )
        audit_record(
            actor=actor,
            action="item.instruction",
            obj=item,
            changes={
                "level": level,
                "leader": leader_title.strip(),
                "date": str(instructed_on),
                "feedback_due": str(feedback_due_on) if feedback_due_on else None,
            },
        )
        notify_unit(
            unit=item.unit,
            item=item,
            kind=Kind.RECOGNITION,
            url=reverse(
                "publishing:instruction_feedback",
                kwargs={"pk": item.pk, "instruction_pk": instruction.pk},
            ),
            text=_("您单位的信息《%(title)s》获%(leader)s批示。")
            % {"title": item.title, "leader": leader_title.strip()},
        )
    return instruction


FEEDBACK_MAX = 5000


def may_give_feedback(actor: User, item: Item) -> bool:
    """批示反馈 comes from the item's unit (its officers and sign-off leaders), or is recorded by
    an editor of the department that received the item."""
    from xinbao.orgs.models import Role

    if not can_see(actor, item):
        return False
    if actor.has_role(Role.OFFICER, Role.UNIT_LEADER) and actor.unit_id == item.unit_id:
        return True
    return actor.has_role(Role.EDITOR) and actor.unit_id == item.department_id


def instruction_feedback_record(*, instruction: Instruction, actor: User, text: str) -> Instruction:
    """Record the unit's report on what it did about a leader's instruction (批示反馈): who, when
    and what. Recording it again replaces the text; the feedback reminders stop once it exists."""
    item = instruction.item
    if not may_give_feedback(actor, item):
        raise NotAllowed(_("您无权反馈这条批示。"))
    text = text.strip()
    if not text:
        raise InvalidInput(_("请填写反馈内容。"))
    if len(text) > FEEDBACK_MAX:
        raise InvalidInput(_("反馈内容不能超过 %(max)d 字。") % {"max": FEEDBACK_MAX})
    now = timezone.now()
    with transaction.atomic():
        Instruction.objects.filter(pk=instruction.pk).update(
            feedback_text=text, feedback_by=actor, feedback_at=now
        )
        audit_record(
            actor=actor,
            action="item.instruction_feedback",
            obj=item,
            changes={
                "instruction": instruction.pk,
                "late": bool(
                    instruction.feedback_due_on
                    and timezone.localdate(now) > instruction.feedback_due_on
                ),
            },
        )
    instruction.refresh_from_db()
    return instruction
