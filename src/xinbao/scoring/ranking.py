"""Rankings of units (within each unit class and overall) and of officers for any period.

Figures per unit: points (the sum of its ledger rows dated in the period), items submitted
(``Item.submitted_at`` in the period), items adopted (distinct items with a counted, positive
adoption row in the period), the adoption rate, the shares of 市级以上 and of 参阅类 among the
adopted items, quota completion (submitted against the period's quota of the unit's class) and
topics answered (of the topics due in the period). Officers: the points, adopted, high-level and
参阅类 figures of the rows of the items they wrote (a co-unit's share stays with its unit).

Ties (documented on the page and in docs): more points first, then more 市级以上 adoptions, then
more adopted items, then the unit code (officers: the username) in ascending order.

A unit ranking is five queries, an officer ranking four, whatever the number of units or rows
(one ``GROUP BY`` over the ledger, served by the ``score_dept_date_idx`` index).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from xinbao.items.models import Item
from xinbao.orgs.models import Role, Unit, User
from xinbao.scoring.models import FactType, RuleSet, ScoreEntry
from xinbao.scoring.periods import Period
from xinbao.topics.models import TopicTarget

if TYPE_CHECKING:
    import datetime

HIGH_LEVELS = ("city", "province", "central")
CLASS_LABELS = {str(label): str(kind) for kind, label in Unit.Kind.choices}


@dataclass
class RankRow:
    unit: Unit
    points: Decimal = Decimal(0)
    submitted: int = 0
    adopted: int = 0
    high_level: int = 0
    reference: int = 0
    instructions: int = 0
    quota: int | None = None
    topics: int = 0
    topics_answered: int = 0
    rank: int = 0
    overall_rank: int = 0
    officer: User | None = None

    @property
    def adoption_rate(self) -> float | None:
        return self.adopted / self.submitted if self.submitted else None

    @property
    def high_share(self) -> float | None:
        return self.high_level / self.adopted if self.adopted else None

    @property
    def reference_share(self) -> float | None:
        return self.reference / self.adopted if self.adopted else None

    @property
    def quota_completion(self) -> float | None:
        return self.submitted / self.quota if self.quota else None

    def sort_key(self) -> tuple[Any, ...]:
        tail = self.officer.username if self.officer is not None else self.unit.code
        return (-self.points, -self.high_level, -self.adopted, tail)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rank": self.rank,
            "overall_rank": self.overall_rank,
            "unit_code": self.unit.code,
            "unit": self.unit.display_name,
            "unit_class": self.unit.kind,
            "points": float(self.points),
            "submitted": self.submitted,
            "adopted": self.adopted,
            "adoption_rate": _round(self.adoption_rate),
            "high_level": self.high_level,
            "high_share": _round(self.high_share),
            "reference": self.reference,
            "reference_share": _round(self.reference_share),
            "instructions": self.instructions,
            "quota": self.quota,
            "quota_completion": _round(self.quota_completion),
            "topics": self.topics,
            "topics_answered": self.topics_answered,
        }
        if self.officer is not None:
            data["officer"] = self.officer.username
            data["officer_name"] = self.officer.display_name
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class RankGroup:
    kind: str
    label: str
    rows: list[RankRow] = field(default_factory=list)


@dataclass
class Ranking:
    period: Period
    groups: list[RankGroup]
    overall: list[RankRow]
    ruleset: RuleSet | None = None


def class_of(text: str | None) -> str | None:
    """A unit class from its code (``township``) or its Chinese label (乡镇); None for all;
    ValueError for an unknown one."""
    if not text:
        return None
    if text in Unit.Kind.values and text != Unit.Kind.ORG_DEPT:
        return text
    if text in CLASS_LABELS and CLASS_LABELS[text] != Unit.Kind.ORG_DEPT:
        return CLASS_LABELS[text]
    raise ValueError(text)


def quota_for(rules: dict[str, Any], unit_kind: str, period: Period) -> int | None:
    """Items a unit of ``unit_kind`` must submit in ``period``: the period's own quota, else the
    shorter periods' quotas scaled (a quarter = 3 months, a year = 4 quarters or 12 months)."""
    quotas = rules.get("quotas", {}).get(unit_kind, {})
    month, quarter, year = quotas.get("month"), quotas.get("quarter"), quotas.get("year")
    if period.kind == "year" and year:
        return int(year)
    if period.kind in ("year", "quarter") and quarter:
        return int(quarter) * (4 if period.kind == "year" else 1)
    if month:
        return int(month) * period.months
    return None


def _day_bounds(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    import datetime as dt

    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _ledger_figures(department: Unit, period: Period, by: str) -> Any:
    adoption = Q(fact_type=FactType.ADOPTION, points__gt=0)
    return (
        ScoreEntry.objects.filter(
            department=department, fact_date__gte=period.start, fact_date__lte=period.end
        )
        .values(by)
        .annotate(
            total=Sum("points"),
            adopted=Count("item", filter=adoption, distinct=True),
            high=Count("item", filter=adoption & Q(level__in=HIGH_LEVELS), distinct=True),
            reference=Count("item", filter=adoption & Q(item_kind="reference"), distinct=True),
            instructions=Count("id", filter=Q(fact_type=FactType.INSTRUCTION)),
        )
        .order_by()
    )


def _fill(row: RankRow, figure: dict[str, Any]) -> None:
    row.points = figure["total"] or Decimal(0)
    row.adopted, row.high_level = figure["adopted"], figure["high"]
    row.reference, row.instructions = figure["reference"], figure["instructions"]


def _rank(rows: list[RankRow], attr: str) -> None:
    rows.sort(key=RankRow.sort_key)
    for position, row in enumerate(rows, start=1):
        setattr(row, attr, position)


def unit_ranking(department: Unit, period: Period, *, unit_class: str | None = None) -> Ranking:
    """``department``'s active units ranked in ``period`` (see the module docstring)."""
    units_qs = (
        Unit.objects.filter(department=department, is_active=True)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .order_by("sort_order", "code")
    )
    if unit_class:
        units_qs = units_qs.filter(kind=unit_class)
    units = list(units_qs)
    rows = {unit.pk: RankRow(unit=unit) for unit in units}
    for figure in _ledger_figures(department, period, "unit_id"):
        if figure["unit_id"] in rows:
            _fill(rows[figure["unit_id"]], figure)
    start, end = _day_bounds(period)
    submitted = (
        Item.objects.filter(department=department, submitted_at__gte=start, submitted_at__lt=end)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for figure in submitted:
        if figure["unit_id"] in rows:
            rows[figure["unit_id"]].submitted = figure["n"]
    answered = [TopicTarget.Outcome.ANSWERED_ON_TIME, TopicTarget.Outcome.ANSWERED_LATE]
    topics = (
        TopicTarget.objects.filter(
            topic__department=department, topic__deadline__gte=start, topic__deadline__lt=end
        )
        .values("unit_id")
        .annotate(n=Count("id"), answered=Count("id", filter=Q(outcome__in=answered)))
        .order_by()
    )
    for figure in topics:
        if figure["unit_id"] in rows:
            rows[figure["unit_id"]].topics = figure["n"]
            rows[figure["unit_id"]].topics_answered = figure["answered"]
    ruleset = RuleSet.objects.filter(department=department, year=period.year).first()
    rules = ruleset.rules if ruleset is not None else {}
    for row in rows.values():
        row.quota = quota_for(rules, row.unit.kind, period)
    overall = list(rows.values())
    _rank(overall, "overall_rank")
    groups: list[RankGroup] = []
    for kind, label in Unit.Kind.choices:
        members = [row for row in overall if row.unit.kind == kind]
        if members:
            _rank(members, "rank")
            groups.append(RankGroup(kind=kind, label=str(label), rows=members))
    return Ranking(period=period, groups=groups, overall=overall, ruleset=ruleset)


def officer_ranking(department: Unit, period: Period, *, unit_class: str | None = None) -> Ranking:
    """The officers of ``department``'s units ranked by the rows of the items they wrote."""
    officers_qs = User.objects.filter(
        unit__department=department, unit__is_active=True, role=Role.OFFICER, is_active=True
    ).select_related("unit")
    if unit_class:
        officers_qs = officers_qs.filter(unit__kind=unit_class)
    rows: dict[int, RankRow] = {}
    for officer in officers_qs.order_by("username"):
        assert officer.unit is not None  # noqa: S101 — the filter requires it
        rows[officer.pk] = RankRow(unit=officer.unit, officer=officer)
    for figure in _ledger_figures(department, period, "officer_id"):
        if figure["officer_id"] in rows:
            _fill(rows[figure["officer_id"]], figure)
    start, end = _day_bounds(period)
    submitted = (
        Item.objects.filter(department=department, submitted_at__gte=start, submitted_at__lt=end)
        .values("created_by_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for figure in submitted:
        if figure["created_by_id"] in rows:
            rows[figure["created_by_id"]].submitted = figure["n"]
    overall = list(rows.values())
    _rank(overall, "overall_rank")
    for row in overall:
        row.rank = row.overall_rank
    return Ranking(period=period, groups=[], overall=overall)
