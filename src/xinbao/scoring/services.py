"""Every write in scoring: rule sets and the deduction facts editors record. Each function is one
transaction, checks the actor and writes the audit record; the ledger follows after commit
(``scoring.signals``: only the affected units are recomputed)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.permissions import check_editor_of
from xinbao.orgs.models import CLASS_LABELS, Unit, allowed_classes
from xinbao.scoring import signals
from xinbao.scoring.models import ItemReview, ManualAdjustment, RuleSet
from xinbao.scoring.rules import normalize_classes, validate_rules

if TYPE_CHECKING:
    from xinbao.items.models import Item
    from xinbao.orgs.models import User


def ruleset_save(
    *, department: Unit, year: int, name: str, rules: Any, actor: User | None
) -> RuleSet:
    """Create or replace ``department``'s rule set for ``year``; invalid rules change nothing.
    After commit the year's ledger is rebuilt under the new rules (``signals.flush``).
    ``actor`` is None for command-line imports (the audit record then names no one). Classes
    named in Chinese (乡镇, 县直部门A类) are stored as their codes."""
    rules = normalize_classes(rules)
    errors = validate_rules(rules)
    if errors:
        raise InvalidInput(";".join(errors))
    if not department.is_org_department:
        raise InvalidInput(_("考核办法只能属于组织部门。"))
    with transaction.atomic():
        ruleset, created = RuleSet.objects.update_or_create(
            department=department, year=year, defaults={"name": name, "rules": rules}
        )
        audit_record(
            actor=actor,
            action="ruleset.create" if created else "ruleset.update",
            obj=ruleset,
            changes={"year": year, "name": name},
        )
        signals.note("ruleset", department.pk, year)  # the year's ledger, after commit
    return ruleset


def unit_classes_set(*, actor: User, department: Unit, classes: dict[int, str]) -> list[Unit]:
    """Set the assessment class (考核类别) of ``department``'s units: ``classes`` maps unit ids
    to ``Unit.AssessmentClass`` values. Every value is checked first; on any problem nothing
    is saved (``InvalidInput`` lists them all). One audit record per changed unit; the ledger
    of every year with a rule set follows after commit (quotas key on the class). Returns the
    units that changed."""
    check_editor_of(actor, department)
    units = Unit.objects.filter(department=department).exclude(kind=Unit.Kind.ORG_DEPT)
    by_id = units.in_bulk(list(classes))
    problems: list[str] = []
    changed: list[Unit] = []
    before: dict[int, str] = {}
    for pk, value in classes.items():
        unit = by_id.get(pk)
        if unit is None:
            problems.append(_("单位不属于本部门,或不存在。"))
            continue
        if value not in allowed_classes(unit.kind):
            problems.append(
                _("%(unit)s:“%(value)s”不是可选的考核类别。")
                % {"unit": unit.display_name, "value": CLASS_LABELS.get(value, value)}
            )
            continue
        if unit.assessment_class != value:
            changed.append(unit)
            before[unit.pk] = unit.assessment_class
            unit.assessment_class = value
    if problems:
        raise InvalidInput(";".join(problems))
    with transaction.atomic():
        for unit in changed:
            unit.save(update_fields=["assessment_class"])
            audit_record(
                actor=actor,
                action="unit.assessment_class",
                obj=unit,
                changes={"assessment_class": [before[unit.pk], unit.assessment_class]},
            )
            signals.note("unit_years", department.pk, unit.pk)
    return changed


def adjustment_record(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    reason: str,
    occurred_on: datetime.date,
    count: int = 1,
    item: Item | None = None,
) -> ManualAdjustment:
    """Record a deduction fact (e.g. an item found 失实) against ``unit``. The points are the
    rule set's, never typed here."""
    department = actor.home_unit
    check_editor_of(actor, department)
    if unit.department_id != department.pk:
        raise NotAllowed(_("只能对本部门所属的单位登记扣分。"))
    if kind not in ManualAdjustment.Kind.values:
        raise InvalidInput(_("请选择扣分类型。"))
    if not reason.strip():
        raise InvalidInput(_("请写明扣分事由。"))
    if count < 1:
        raise InvalidInput(_("次数至少为 1。"))
    if item is not None and item.unit_id != unit.pk:
        raise InvalidInput(_("相关信息不是该单位报送的。"))
    with transaction.atomic():
        adjustment = ManualAdjustment.objects.create(
            department=department,
            year=occurred_on.year,
            unit=unit,
            item=item,
            kind=kind,
            count=count,
            occurred_on=occurred_on,
            reason=reason.strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="score.adjustment",
            obj=adjustment,
            changes={"unit": unit.pk, "kind": kind, "count": count, "reason": reason.strip()},
        )
    return adjustment


def adjustment_revoke(*, actor: User, adjustment: ManualAdjustment, reason: str) -> None:
    """Withdraw a recorded deduction (kept, marked revoked, with the reason)."""
    check_editor_of(actor, adjustment.department)
    if adjustment.revoked_at is not None:
        raise InvalidInput(_("这条扣分登记已撤销。"))
    if not reason.strip():
        raise InvalidInput(_("请写明撤销原因。"))
    with transaction.atomic():
        adjustment.revoked_at = timezone.now()
        adjustment.revoked_by = actor
        adjustment.revoke_reason = reason.strip()
        adjustment.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(
            actor=actor,
            action="score.adjustment_revoke",
            obj=adjustment,
            changes={"reason": reason.strip()},
        )


def review_record(
    *, actor: User, item: Item, kind: str, rubric: dict[str, Any], note: str = ""
) -> ItemReview:
    """Record (or replace) the editor's judgment of ``item``: its kind (常规/参阅类/图片) and its
    rubric scores, each criterion 0–25; the score is their sum. The ledger follows after
    commit (the item's unit and co-units)."""
    check_editor_of(actor, item.department)
    if kind not in ItemReview.Kind.values:
        raise InvalidInput(_("请选择信息类别(常规、参阅类或图片)。"))
    criteria = dict(ItemReview.CRITERIA)
    scores: dict[str, int] = {}
    for key, value in rubric.items():
        if key not in criteria:
            raise InvalidInput(_("未知的评分项“%(key)s”。") % {"key": key})
        if value in (None, ""):
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(_("“%(name)s”的得分必须是整数。") % {"name": criteria[key]})
        if not 0 <= value <= ItemReview.CRITERION_MAX:
            raise InvalidInput(
                _("“%(name)s”的得分应在 0 到 %(max)d 之间。")
                % {"name": criteria[key], "max": ItemReview.CRITERION_MAX}
            )
        scores[key] = value
    if scores and len(scores) != len(criteria):
        raise InvalidInput(_("请为每一项评分,或全部留空(只标记类别)。"))
    total = Decimal(sum(scores.values())) if scores else None
    with transaction.atomic():
        review, _created = ItemReview.objects.update_or_create(
            item=item,
            defaults={"kind": kind, "rubric": scores, "score": total, "reviewed_by": actor},
        )
        audit_record(
            actor=actor,
            action="score.review",
            obj=review,
            changes={"item": item.pk, "kind": kind, "rubric": scores, "note": note.strip()},
        )
    return review
