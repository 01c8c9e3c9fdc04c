"""Writes to the org tree and users. Derived fields (``Unit.path``, ``Unit.department``) are set
here and nowhere else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from xinbao.audit.services import audit_record, diff_fields
from xinbao.orgs.models import Unit

if TYPE_CHECKING:
    from xinbao.orgs.models import User


def derive_tree_fields(unit: Unit) -> None:
    """Set ``path`` and ``department`` from the parent (which must already be saved)."""
    parent = unit.parent
    if parent is None:
        unit.path = f"/{unit.code}/"
        unit.department = None
        return
    unit.path = f"{parent.path}{unit.code}/"
    unit.department = parent if parent.is_org_department else parent.department


def unit_save(*, unit: Unit, actor: User | None, action: str = "unit.save") -> Unit:
    """Validate and save ``unit``; when its code, parent or kind changed, re-derive its
    subtree."""
    with transaction.atomic():
        before = unit_snapshot(Unit.objects.get(pk=unit.pk)) if unit.pk else {}
        old = Unit.objects.filter(pk=unit.pk).values_list("path", "kind").first()
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
    }
