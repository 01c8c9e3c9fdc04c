"""Year-end outputs from the ranking: commendation proposals (先进单位 by class, 优秀信息员,
年度好信息) with editable thresholds, and the criticism list (units below quota, units with no
item in a closed month or quarter, units that missed topics)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from xinbao.items.models import Item
from xinbao.orgs.models import Unit
from xinbao.scoring.models import FactType, ScoreEntry
from xinbao.scoring.periods import Period, month_period, quarter_period, year_period
from xinbao.scoring.ranking import RankGroup, RankRow, officer_ranking, unit_ranking
from xinbao.topics.models import TopicTarget


@dataclass
class Thresholds:
    """What a proposal needs; every figure is editable on the page and in the API."""

    units_per_class: int = 3
    unit_min_points: Decimal = Decimal(0)
    unit_min_completion: float = 1.0  # submitted / yearly quota
    exclude_missed_topics: bool = True
    officers: int = 5
    officer_min_adopted: int = 3
    good_items: int = 5  # 3–5 in most schemes

    def clamp(self) -> Thresholds:
        self.units_per_class = max(0, min(self.units_per_class, 50))
        self.officers = max(0, min(self.officers, 100))
        self.good_items = max(3, min(self.good_items, 5))
        return self


@dataclass
class GoodItem:
    item: Item
    points: Decimal
    best_level: str


@dataclass
class Commendations:
    year: int
    thresholds: Thresholds
    units: list[RankGroup]
    officers: list[RankRow]
    items: list[GoodItem]


def commendations(department: Unit, year: int, thresholds: Thresholds) -> Commendations:
    period = year_period(year)
    ranking = unit_ranking(department, period)
    missed = _missed_topics(department, year)
    groups = []

    def qualifies(row: RankRow) -> bool:
        done = row.quota_completion
        return (
            row.points > 0
            and row.points >= thresholds.unit_min_points
            and (done is None or done >= thresholds.unit_min_completion)
            and not (thresholds.exclude_missed_topics and missed.get(row.unit.pk))
        )

    for group in ranking.groups:
        chosen = [row for row in group.rows if qualifies(row)][: thresholds.units_per_class]
        groups.append(RankGroup(kind=group.kind, label=group.label, rows=chosen))
    officers = [
        row
        for row in officer_ranking(department, period).overall
        if row.points > 0 and row.adopted >= thresholds.officer_min_adopted
    ][: thresholds.officers]
    return Commendations(
        year=year,
        thresholds=thresholds,
        units=groups,
        officers=officers,
        items=good_items(department, period, thresholds.good_items),
    )


def good_items(department: Unit, period: Period, count: int) -> list[GoodItem]:
    """The items that earned the most (adoptions and instructions, all units' shares), ties
    to the earlier item."""
    figures = list(
        ScoreEntry.objects.filter(
            department=department,
            fact_date__gte=period.start,
            fact_date__lte=period.end,
            fact_type__in=[FactType.ADOPTION, FactType.INSTRUCTION],
            points__gt=0,
            item__isnull=False,
        )
        .values("item_id")
        .annotate(total=Sum("points"), best=Max("level"))
        .order_by("-total", "item_id")[:count]
    )
    items = Item.objects.select_related("unit").in_bulk([f["item_id"] for f in figures])
    return [
        GoodItem(item=items[f["item_id"]], points=f["total"], best_level=f["best"] or "")
        for f in figures
        if f["item_id"] in items
    ]


@dataclass
class Criticism:
    below_quota: list[RankRow] = field(default_factory=list)
    silent: list[tuple[Unit, list[str]]] = field(default_factory=list)  # unit, period labels
    missed_topics: list[tuple[Unit, list[str]]] = field(default_factory=list)  # unit, titles


def _missed_topics(department: Unit, year: int) -> dict[int, list[str]]:
    rows = (
        TopicTarget.objects.filter(
            topic__department=department,
            topic__deadline__year=year,
            outcome=TopicTarget.Outcome.MISSED,
        )
        .order_by("topic__deadline", "id")
        .values_list("unit_id", "topic__title")
    )
    result: dict[int, list[str]] = defaultdict(list)
    for unit_id, title in rows:
        result[unit_id].append(title)
    return result


def closed_periods(year: int, today: datetime.date) -> list[Period]:
    months = [month_period(year, m) for m in range(1, 13)]
    quarters = [quarter_period(year, q) for q in range(1, 5)]
    return [p for p in months + quarters if p.end < today]


def criticism(department: Unit, year: int, today: datetime.date) -> Criticism:
    result = Criticism()
    ranking = unit_ranking(department, year_period(year))
    result.below_quota = [row for row in ranking.overall if row.quota and row.submitted < row.quota]
    per_month: dict[int, set[int]] = defaultdict(set)
    months = (
        Item.objects.filter(department=department, submitted_at__year=year)
        .annotate(month=ExtractMonth("submitted_at"))
        .values("unit_id", "month")
        .annotate(n=Count("id"))
        .order_by()
    )
    for figure in months:
        per_month[figure["unit_id"]].add(figure["month"])
    periods = closed_periods(year, today)
    for row in ranking.overall:
        got = per_month.get(row.unit.pk, set())
        labels = [
            p.label
            for p in periods
            if not any(m in got for m in range(p.start.month, p.end.month + 1))
        ]
        if labels:
            result.silent.append((row.unit, labels))
    missed = _missed_topics(department, year)
    units = {row.unit.pk: row.unit for row in ranking.overall}
    result.missed_topics = [
        (units[unit_id], titles) for unit_id, titles in sorted(missed.items()) if unit_id in units
    ]
    return result


def completion_text(row: RankRow) -> str:
    value = row.quota_completion
    return "—" if value is None else _("%(p)d%%") % {"p": round(value * 100)}
