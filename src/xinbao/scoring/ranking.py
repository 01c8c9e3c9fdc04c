"""Rankings of units (within each unit class and overall) and of officers for any period.

Units are grouped by their assessment class (``Unit.effective_class``: 乡镇, 县直部门A/B/C类,
部机关科室, 其他单位), the class the rule set's quotas key on. Figures per unit: points (the
sum of its ledger rows dated in the period), items submitted (``Item.submitted_at`` in the
period), items adopted (items whose first counted adoption for
the unit is dated in the period: ``ScoreEntry.counts_adopted``), the adoption rate, the
shares of 市级以上 and of 参阅类 among the adopted items, quota completion (submitted against
the period's quota of the unit's class) and topics answered (of the topics due in the
period). Officers: the points, adopted, high-level and 参阅类 figures of the ledger rows
attributed to them (``ScoreEntry.officer``: the rows of the items they wrote, their own unit's
share of a joint item, deductions about their items; a co-unit's share and the unit's quota
and topic rows stay with the unit), so every officer figure is a sum of listed rows
(``queries.officer_period_lines``).

Ties (documented on the page and in docs): more points first, then more 市级以上 adoptions, then
more adopted items, then the unit code (officers: the username) in ascending order.

A unit ranking of a month, quarter or year is five queries, an officer ranking three, whatever
the number of units or ledger rows: the figures come from ``ScoreTally`` (the ledger summed per
unit, officer and month, rewritten with the ledger); a date range adds two queries for each
partial month at its ends, over the ledger rows and items of those days only, each read from a
covering index (``score_dept_date_cover_idx``, ``item_dept_submit_cover_idx``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta as dt_timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.items.models import Item
from xinbao.orgs.models import Role, Unit, User
from xinbao.scoring.models import FactType, RuleSet, ScoreEntry, ScoreTally
from xinbao.scoring.periods import Period
from xinbao.topics.models import TopicTarget

if TYPE_CHECKING:
    import datetime

CLASSES = Unit.AssessmentClass
# Chinese names a user may type for a class: the labels, and A类/B类/C类 for the departments.
CLASS_NAMES = {str(label): str(value) for value, label in CLASSES.choices}
CLASS_NAMES.update(
    {str(label)[-2:]: str(value) for value, label in CLASSES.choices if str(label).endswith("类")}
)


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
    unit_class: str = ""  # the unit's assessment class (``Unit.effective_class``)

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
            "unit_class": self.unit_class or self.unit.effective_class,
            "unit_class_label": self.unit.effective_class_label,
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
    """An assessment class (``Unit.AssessmentClass``) from its code (``dept_a``) or its Chinese
    name (县直部门A类, or A类); None for all; ValueError with a Chinese message otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if text in CLASSES.values:
        return text
    if text in CLASS_NAMES:
        return CLASS_NAMES[text]
    names = "、".join(str(label) for label in CLASSES.labels)
    raise ValueError(
        _("未知的单位类别“%(text)s”,可用的类别:%(names)s。") % {"text": text, "names": names}
    )


def quota_for(rules: dict[str, Any], unit_class: str, period: Period) -> int | None:
    """Items a unit of ``unit_class`` must submit in ``period``: the period's own quota, else
    the shorter periods' quotas scaled (a quarter = 3 months, a year = 4 quarters or 12 months)."""
    quotas = rules.get("quotas", {}).get(unit_class, {})
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


# What a ranking row shows of a unit (loading 3,000 whole units or officers costs more than
# their figures).
UNIT_FIELDS = (
    "id", "code", "name", "short_name", "kind", "assessment_class", "sort_order", "department_id",
)  # fmt: skip
FIGURES = ("total", "adopted", "high", "reference", "instructions", "submitted")


def _full_months(period: Period) -> tuple[datetime.date, datetime.date] | None:
    """The first days of the first and last whole months inside ``period`` (None if none)."""
    import datetime as dt

    first = period.start if period.start.day == 1 else _next_month(period.start)
    after = _next_month(period.end)
    if (after - dt.timedelta(days=1)) != period.end:
        after = period.end.replace(day=1)
    last = _previous_month(after)
    return (first, last) if first <= last else None


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + dt_timedelta(days=4)).replace(day=1)


def _previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - dt_timedelta(days=1)).replace(day=1)


def _figures(department: Unit, period: Period, by: str) -> dict[Any, dict[str, Any]]:
    """Per unit (``by="unit_id"``) or officer (``"officer_id"``): the period's figures. Whole
    months come from ``ScoreTally`` (one grouped query over a few rows per unit a month); the
    days of a date range outside whole months from the ledger rows and items themselves."""
    result: dict[Any, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    months = _full_months(period)
    officers_only = {"officer_id__isnull": False} if by == "officer_id" else {}
    if months is not None:
        tallies = (
            ScoreTally.objects.filter(
                department=department, month__gte=months[0], month__lte=months[1], **officers_only
            )
            .values(by)
            .annotate(
                t=Sum("points"),
                a=Sum("adopted"),
                h=Sum("high"),
                r=Sum("reference"),
                i=Sum("instructions"),
                s=Sum("submitted"),
            )
            .order_by()
        )
        for f in tallies:
            figure = result[f[by]]
            for name, key in zip(FIGURES, "tahris", strict=True):
                figure[name] += f[key] or 0
    edges = []
    if months is None:
        edges.append((period.start, period.end))
    else:
        import datetime as dt

        if period.start < months[0]:
            edges.append((period.start, months[0] - dt.timedelta(days=1)))
        if _next_month(months[1]) <= period.end:
            edges.append((_next_month(months[1]), period.end))
    item_by = "created_by_id" if by == "officer_id" else "unit_id"
    for start, end in edges:
        rows = (
            ScoreEntry.objects.filter(
                department=department, fact_date__gte=start, fact_date__lte=end, **officers_only
            )
            .values(by)
            .annotate(
                # Counted over an indexed column, not the id: the whole query then reads only
                # ``score_dept_date_cover_idx`` (an index-only scan).
                t=Sum("points"),
                a=Count("fact_date", filter=Q(counts_adopted=True)),
                h=Count("fact_date", filter=Q(counts_high=True)),
                r=Count("fact_date", filter=Q(counts_adopted=True, item_kind="reference")),
                i=Count("fact_date", filter=Q(fact_type=FactType.INSTRUCTION)),
            )
            .order_by()
        )
        for f in rows:
            figure = result[f[by]]
            for name, key in zip(FIGURES[:5], "tahri", strict=True):
                figure[name] += f[key] or 0
        span = Period("range", "", start, end, "")
        lo, hi = _day_bounds(span)
        items = (
            Item.objects.filter(department=department, submitted_at__gte=lo, submitted_at__lt=hi)
            .values(item_by)
            .annotate(n=Count("*"))  # ``item_dept_submit_cover_idx`` alone
            .order_by()
        )
        for f in items:
            result[f[item_by]]["submitted"] += f["n"]
    return result


def _fill(row: RankRow, figure: dict[str, Any]) -> None:
    row.points = Decimal(figure["total"] or 0)
    row.adopted, row.high_level = figure["adopted"], figure["high"]
    row.reference, row.instructions = figure["reference"], figure["instructions"]
    row.submitted = figure["submitted"]


def _rank(rows: list[RankRow], attr: str) -> None:
    rows.sort(key=RankRow.sort_key)
    for position, row in enumerate(rows, start=1):
        setattr(row, attr, position)


def unit_ranking(department: Unit, period: Period, *, unit_class: str | None = None) -> Ranking:
    """``department``'s active units ranked in ``period`` (see the module docstring)."""
    units_qs = (
        Unit.objects.filter(department=department, is_active=True)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .only(*UNIT_FIELDS)
        .order_by("sort_order", "code")
    )
    rows: dict[int, RankRow] = {}
    for unit in units_qs:
        klass = unit.effective_class
        if not unit_class or klass == unit_class:
            rows[unit.pk] = RankRow(unit=unit, unit_class=klass)
    for unit_id, figure in _figures(department, period, "unit_id").items():
        if unit_id in rows:
            _fill(rows[unit_id], figure)
    start, end = _day_bounds(period)
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
        row.quota = quota_for(rules, row.unit_class, period)
    overall = list(rows.values())
    _rank(overall, "overall_rank")
    by_class: dict[str, list[RankRow]] = defaultdict(list)
    for row in overall:  # in overall order: each class's rows are already ranked
        by_class[row.unit_class].append(row)
    groups: list[RankGroup] = []
    for kind, label in CLASSES.choices:
        members = by_class.get(kind)
        if members:
            for position, row in enumerate(members, start=1):
                row.rank = position
            groups.append(RankGroup(kind=kind, label=str(label), rows=members))
    return Ranking(period=period, groups=groups, overall=overall, ruleset=ruleset)


def officer_ranking(department: Unit, period: Period, *, unit_class: str | None = None) -> Ranking:
    """The officers of ``department``'s units ranked by the rows of the items they wrote."""
    officers_qs = (
        User.objects.filter(
            unit__department=department, unit__is_active=True, role=Role.OFFICER, is_active=True
        )
        .select_related("unit")
        .only("id", "username", "full_name", "unit_id", *(f"unit__{f}" for f in UNIT_FIELDS))
    )
    rows: dict[int, RankRow] = {}
    for officer in officers_qs.order_by("username"):
        assert officer.unit is not None  # noqa: S101 — the filter requires it
        klass = officer.unit.effective_class
        if unit_class and klass != unit_class:
            continue
        rows[officer.pk] = RankRow(unit=officer.unit, officer=officer, unit_class=klass)
    for officer_id, figure in _figures(department, period, "officer_id").items():
        if officer_id in rows:
            _fill(rows[officer_id], figure)
    overall = list(rows.values())
    _rank(overall, "overall_rank")
    for row in overall:
        row.rank = row.overall_rank
    return Ranking(period=period, groups=[], overall=overall)
