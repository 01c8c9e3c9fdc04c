"""Reads for the scoring pages. ``access_statement_unit`` is the access helper of a unit's points
statement: out-of-scope units answer 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from xinbao.items.models import Item
from xinbao.orgs.models import UNIT_ROLES, Unit
from xinbao.scoring.models import FactType, ManualAdjustment, RuleSet, ScoreEntry
from xinbao.web.access import department_of

if TYPE_CHECKING:
    from xinbao.orgs.models import User

HIGH_LEVELS = ("city", "province", "central")


@dataclass
class RankRow:
    unit: Unit
    points: Decimal = Decimal(0)
    submitted: int = 0
    adopted: int = 0
    high_level: int = 0
    instructions: int = 0
    rank: int = 0

    @property
    def adoption_rate(self) -> float | None:
        return self.adopted / self.submitted if self.submitted else None


@dataclass
class RankGroup:
    kind: str
    label: str
    rows: list[RankRow] = field(default_factory=list)


def access_statement_unit(user: User, pk: int) -> Unit:
    """The unit whose statement ``user`` may read: officers and unit leaders their own unit,
    editors and department leaders any unit of their department."""
    if user.has_role(*UNIT_ROLES):
        if user.unit_id != pk:
            raise Http404
        return user.home_unit
    department = department_of(user)
    unit = Unit.objects.filter(pk=pk, department=department).select_related("department").first()
    if unit is None:
        raise Http404
    return unit


def statement_lines(unit: Unit, year: int) -> QuerySet[ScoreEntry]:
    return (
        ScoreEntry.objects.filter(unit=unit, year=year)
        .select_related("item")
        .order_by("fact_date", "fact_type", "fact_id", "id")
    )


def unit_adjustments(unit: Unit, year: int) -> QuerySet[ManualAdjustment]:
    return (
        ManualAdjustment.objects.filter(unit=unit, year=year)
        .select_related("created_by", "revoked_by", "item")
        .order_by("occurred_on", "id")
    )


def access_adjustment(user: User, pk: int) -> ManualAdjustment:
    department = department_of(user)
    adjustment = (
        ManualAdjustment.objects.filter(pk=pk, department=department)
        .select_related("department")
        .first()
    )
    if adjustment is None:
        raise Http404
    return adjustment


def ruleset_of(department: Unit | None, year: int) -> RuleSet | None:
    if department is None:
        return None
    return RuleSet.objects.filter(department=department, year=year).first()


def ranking(department: Unit, year: int) -> list[RankGroup]:
    """The department's units ranked within each unit class for ``year``. Three queries.

    Ties: more points first, then more high-level (市级以上) adoptions, then more adopted items,
    then the unit's order in the org tree (``sort_order``, code)."""
    units = list(
        Unit.objects.filter(department=department, is_active=True)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .order_by("sort_order", "code")
    )
    rows = {unit.pk: RankRow(unit=unit) for unit in units}
    adoption = Q(fact_type=FactType.ADOPTION, points__gt=0)
    figures = (
        ScoreEntry.objects.filter(department=department, year=year, unit_id__in=list(rows))
        .values("unit_id")
        .annotate(
            total=Sum("points"),
            adopted=Count("item", filter=adoption, distinct=True),
            high=Count("item", filter=adoption & Q(level__in=HIGH_LEVELS), distinct=True),
            instructions=Count("id", filter=Q(fact_type=FactType.INSTRUCTION)),
        )
        .order_by()
    )
    for figure in figures:
        row = rows[figure["unit_id"]]
        row.points = figure["total"] or Decimal(0)
        row.adopted, row.high_level = figure["adopted"], figure["high"]
        row.instructions = figure["instructions"]
    submitted = (
        Item.objects.filter(department=department, submitted_at__year=year)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for figure in submitted:
        if figure["unit_id"] in rows:
            rows[figure["unit_id"]].submitted = figure["n"]
    groups: list[RankGroup] = []
    for kind, label in Unit.Kind.choices:
        members = [rows[u.pk] for u in units if u.kind == kind]
        if not members:
            continue
        members.sort(key=lambda r: (-r.points, -r.high_level, -r.adopted))  # stable: tree order
        for position, row in enumerate(members, start=1):
            row.rank = position
        groups.append(RankGroup(kind=kind, label=str(label), rows=members))
    return groups
