"""Reads for the scoring pages. ``access_statement_unit`` is the access helper of a unit's points
statement: out-of-scope units answer 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from xinbao.orgs.models import UNIT_ROLES, Role, Unit, User
from xinbao.scoring.models import FactType, ManualAdjustment, RuleSet, ScoreEntry
from xinbao.scoring.periods import Period, year_period
from xinbao.scoring.ranking import RankGroup, RankRow, unit_ranking
from xinbao.scoring.rules import DEMO_RULES
from xinbao.web.access import department_of

__all__ = ["RankGroup", "RankRow", "department_of"]


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


def access_statement_officer(user: User, pk: int) -> User:
    """The officer whose points statement ``user`` may read: an officer their own, a unit
    leader the officers of their unit, editors and department leaders any officer of a unit
    of their department. Anyone else answers 404."""
    officers = User.objects.filter(pk=pk, role=Role.OFFICER).select_related("unit")
    if user.role == Role.OFFICER:
        officer = officers.filter(pk=user.pk).first()
    elif user.role == Role.UNIT_LEADER:
        officer = officers.filter(unit_id=user.home_unit.pk).first()
    else:
        officer = officers.filter(unit__department=department_of(user)).first()
    if officer is None or officer.unit is None:
        raise Http404
    return officer


def visible_officers(user: User, unit: Unit) -> QuerySet[User]:
    """The officers of ``unit`` whose statements ``user`` may open from the unit's statement:
    an officer only themself, unit leaders and the department every officer of the unit."""
    officers = User.objects.filter(unit=unit, role=Role.OFFICER, is_active=True)
    if user.role == Role.OFFICER:
        officers = officers.filter(pk=user.pk)
    return officers.order_by("username")


def officer_period_lines(
    department: Unit, officer: User, period: Period, show: str = ""
) -> QuerySet[ScoreEntry]:
    """The ledger rows behind one figure of the officers' ranking: the rows attributed to
    ``officer`` (``ScoreEntry.officer``) in ``department``'s ledger dated in ``period``,
    narrowed to ``show`` like ``period_lines``; what ``ranking.officer_ranking`` sums."""
    lines = ScoreEntry.objects.filter(
        department=department,
        officer=officer,
        fact_date__gte=period.start,
        fact_date__lte=period.end,
    )
    if show in SHOW_FILTERS:
        lines = lines.filter(SHOW_FILTERS[show])
    return lines.select_related("item", "unit").order_by("fact_date", "fact_type", "fact_id", "id")


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


def assessed_units(department: Unit) -> QuerySet[Unit]:
    """The department's units that are assessed (every unit but organization departments),
    in the ranking's order."""
    return (
        Unit.objects.filter(department=department)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .order_by("-is_active", "sort_order", "code")
    )


def access_adjustment(user: User, pk: int) -> ManualAdjustment:
    department = department_of(user)
    adjustment = (
        ManualAdjustment.objects.filter(pk=pk, department=department)
        .select_related("department", "unit")
        .first()
    )
    if adjustment is None:
        raise Http404
    return adjustment


def ruleset_of(department: Unit | None, year: int) -> RuleSet | None:
    if department is None:
        return None
    return RuleSet.objects.filter(department=department, year=year).first()


def ruleset_start(
    department: Unit, year: int, ruleset: RuleSet | None
) -> tuple[str, dict[str, Any]]:
    """The name and rules the rule-set page opens with: the year's own, else a copy of the
    latest earlier year's (renamed for ``year``), else the demo rules."""
    if ruleset is not None:
        return ruleset.name, ruleset.rules
    earlier = RuleSet.objects.filter(department=department, year__lt=year).order_by("-year").first()
    name = _("%(dept)s%(year)d年度组工信息工作考核办法") % {"dept": department.name, "year": year}
    if earlier is not None:
        return name, earlier.rules
    return name, DEMO_RULES


def ranking(department: Unit, year: int) -> list[RankGroup]:
    """The department's units ranked within each unit class for ``year`` (see ``ranking``)."""
    return unit_ranking(department, year_period(year)).groups


SHOW_FILTERS: dict[str, Q] = {
    "adopted": Q(counts_adopted=True),
    "high": Q(counts_high=True),
    "reference": Q(counts_adopted=True, item_kind="reference"),
    "instruction": Q(fact_type=FactType.INSTRUCTION),
    "topic": Q(fact_type=FactType.TOPIC),
    "quota": Q(fact_type=FactType.QUOTA),
    "deduction": Q(fact_type__in=[FactType.DEDUCTION, FactType.ANNUL]),
}


def period_lines(unit: Unit, period: Period, show: str = "") -> QuerySet[ScoreEntry]:
    """The ledger rows behind one figure of a ranking: ``unit``'s rows dated in ``period``,
    narrowed to ``show`` (a key of ``SHOW_FILTERS``; empty: all, i.e. the points)."""
    lines = ScoreEntry.objects.filter(
        unit=unit, fact_date__gte=period.start, fact_date__lte=period.end
    )
    if show in SHOW_FILTERS:
        lines = lines.filter(SHOW_FILTERS[show])
    return lines.select_related("item").order_by("fact_date", "fact_type", "fact_id", "id")
