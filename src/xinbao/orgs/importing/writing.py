"""Writing an import's plan, inside the transaction it was planned in: new units depth by
depth, changed units and officers in bulk, and one ``unit.import`` audit record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from xinbao.audit.services import audit_record
from xinbao.orgs.importing.planning import OFFICER_MODEL_FIELDS, UNIT_FIELDS, Importer
from xinbao.orgs.importing.results import CREATE, UPDATE, ImportResult, OfficerPlan, UnitPlan
from xinbao.orgs.models import Unit, User

DERIVED_FIELDS = ("path", "department")


def apply(importer: Importer, *, actor: User | None, filename: str, result: ImportResult) -> None:
    """Write the plan; call inside the transaction the importer was built in."""
    by_depth: dict[int, list[Unit]] = defaultdict(list)
    for code in importer.new_codes:
        by_depth[importer.depth[code]].append(importer.units[code])
    for depth in sorted(by_depth):
        Unit.objects.bulk_create(by_depth[depth], batch_size=500)
    if importer.changed_units:
        Unit.objects.bulk_update(
            importer.changed_units, [*UNIT_FIELDS, *DERIVED_FIELDS], batch_size=500
        )
    if importer.new_users:
        User.objects.bulk_create(importer.new_users, batch_size=500)
    if importer.changed_users:
        User.objects.bulk_update(importer.changed_users, list(OFFICER_MODEL_FIELDS), batch_size=500)
    audit_record(
        actor=actor,
        action="unit.import",
        changes={
            "file": filename[:200],
            "units_created": [plan.code for plan in result.units_with(CREATE)],
            "units_updated": _changes_by_key(result.units_with(UPDATE), key="code"),
            "units_rederived": result.rederived,
            "officers_created": [plan.username for plan in result.officers_with(CREATE)],
            "officers_updated": _changes_by_key(result.officers_with(UPDATE), key="username"),
        },
    )


def _changes_by_key(plans: Iterable[UnitPlan | OfficerPlan], *, key: str) -> dict[str, Any]:
    return {
        getattr(plan, key): {change.label: [change.old, change.new] for change in plan.changes}
        for plan in plans
    }
