"""The aggregate facts behind every dashboard: one department, one period, all its units.

``department_facts`` adds up the period's per-unit, per-month cells (``dashboard.aggregates``:
stored rows for whole months, a fixed number of grouped queries for the days of a partial month)
and returns plain numbers per unit, per month and per category; every chart of the department's
and of a unit's dashboard is computed from them (``dashboard.figures``), and they are what the
cache holds (``dashboard.cache``). At no size does a dashboard read every item of its period.

Definitions, each taken from the app that owns the rule:

- *submitted* (报送): items of the department's units that reached the department
  (``Item.submitted_at``) in the period; this set is the period's *cohort*;
- *adopted by the county* (县级采用): the ``adopt`` event, as recorded in ``Timeliness.adopted_at``
  (``topics.timeliness``); the trend counts adoptions by the month they happened, the funnel
  counts the cohort's items adopted at any time;
- *adopted by the city / province / centre*: a published issue of an upper department's
  publication (``Publication.department.level``) or an upper-level adoption recorded by hand
  (``ExternalAdoption.level``): the facts ``scoring.ledger`` scores; distinct items per level;
- *high-level adoptions* (市级以上采用): the levels in ``publishing.models.HIGH_LEVELS``;
- *instructions*: distinct cohort items with a ``publishing.Instruction``;
- *returned for revision*: cohort items with at least one ``return`` event;
- *points*: the ledger's lines (``scoring.ScoreEntry``) dated in the period (whole months from
  its monthly tallies, ``scoring.ScoreTally``);
- *key work*: cohort items tagged with a key-work area or one of its sub-areas
  (``topics.KeyWorkTag``), and how many of them the county adopted;
- *timeliness*: ``Timeliness.to_submit`` (event → arrival) and ``to_first_action`` (arrival →
  the editor's first action), median and nearest-rank 90th percentile from
  ``topics.timeliness.median``/``percentile``.

Quality hooks (see ``dashboard.hooks``) supply the 参阅类 share, the rubric score and flagged
near-duplicates once the apps that own them provide the facts; until then they are ``None``
("not available"), never a made-up 0.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from xinbao.dashboard import aggregates
from xinbao.dashboard.aggregates import Cell, hours
from xinbao.dashboard.periods import Period, next_month, previous_month
from xinbao.items.models import Category
from xinbao.orgs.models import Unit, User
from xinbao.publishing.models import HIGH_LEVELS
from xinbao.topics.queries import key_work_tree

__all__ = ["DepartmentFacts", "EditorFacts", "UnitFacts", "department_facts", "hours"]


@dataclass
class UnitFacts:
    """One unit's figures for one period. ``reference``/``rubric``/``duplicates`` are ``None``
    while the owning app does not provide them (see ``dashboard.hooks``)."""

    unit_id: int
    name: str
    kind: str
    submitted: int = 0
    adopted: int = 0  # cohort items adopted by the county
    levels: dict[str, int] = field(default_factory=dict)  # cohort items adopted per upper level
    instructions: int = 0
    returned: int = 0
    points: Decimal = Decimal(0)
    reference: int | None = None  # cohort items adopted as 参阅类
    rubric: float | None = None  # average rubric score of the cohort
    duplicates: int | None = None  # cohort items flagged as near-duplicates
    to_submit: list[float] = field(default_factory=list)  # hours
    to_first_action: list[float] = field(default_factory=list)  # hours
    urgent: int = 0
    urgent_late: int = 0
    urgent_hours: list[float] = field(default_factory=list)  # event → arrival, urgent items
    key_work: dict[int, list[int]] = field(default_factory=dict)  # area → [reported, adopted]
    rubric_total: float = 0.0
    rubric_count: int = 0

    def add(self, cell: Cell) -> None:
        """Add one month's cell (``dashboard.aggregates``) to these figures."""
        self.submitted += cell.get("s", 0)
        self.adopted += cell.get("a", 0)
        for level, n in cell.get("lv", {}).items():
            self.levels[level] = self.levels.get(level, 0) + n
        self.instructions += cell.get("ins", 0)
        self.returned += cell.get("ret", 0)
        if "ref" in cell:
            self.reference = (self.reference or 0) + cell["ref"]
        if "dup" in cell:
            self.duplicates = (self.duplicates or 0) + cell["dup"]
        if cell.get("rn"):
            self.rubric_total += cell["rs"]
            self.rubric_count += cell["rn"]
            self.rubric = self.rubric_total / self.rubric_count
        self.to_submit += cell.get("ts", [])
        self.to_first_action += cell.get("tf", [])
        self.urgent += cell.get("urg", 0)
        self.urgent_late += cell.get("late", 0)
        self.urgent_hours += cell.get("uh", [])
        for area, (reported, adopted) in cell.get("kw", {}).items():
            pair = self.key_work.setdefault(int(area), [0, 0])
            pair[0] += reported
            pair[1] += adopted

    @property
    def high_level(self) -> int:
        return sum(self.levels.get(level, 0) for level in HIGH_LEVELS)

    @property
    def adoption_rate(self) -> float | None:
        return self.adopted / self.submitted if self.submitted else None

    @property
    def returned_rate(self) -> float | None:
        return self.returned / self.submitted if self.submitted else None

    @property
    def points_per_item(self) -> float | None:
        return float(self.points) / self.submitted if self.submitted else None

    @property
    def reference_share(self) -> float | None:
        if self.reference is None or not self.adopted:
            return None
        return self.reference / self.adopted


@dataclass
class EditorFacts:
    user_id: int
    name: str
    hours: list[float] = field(default_factory=list)


@dataclass
class DepartmentFacts:
    department_id: int
    period: Period
    months: list[datetime.date]
    units: dict[int, UnitFacts]  # tree order
    submitted_by_month: dict[int, list[int]]  # unit → per month of the period
    adopted_by_month: dict[int, list[int]]
    categories: list[tuple[int, str]]  # (id, name) in display order
    by_category: dict[int, dict[int, tuple[int, int]]]  # unit → category → (submitted, adopted)
    editors: list[EditorFacts]
    previous: dict[int, UnitFacts] = field(default_factory=dict)  # the period just before
    areas: list[tuple[int, str, int, bool]] = field(default_factory=list)  # id, name, depth, active
    recent_key_work: dict[int, int] = field(default_factory=dict)  # area → items, blind window
    blind_months: int = 0


def median_hours(values: list[float]) -> float | None:
    """``topics.timeliness.median`` of the durations, in hours to a tenth, computed on the
    floats (no timedelta per value: a province's year has hundreds of thousands)."""
    if not values:
        return None
    return round(round(statistics.median(values) * 3600) / 3600, 1)


def p90_hours(values: list[float]) -> float | None:
    """``topics.timeliness.percentile(values, 90)`` (nearest rank), in hours to a tenth."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(1, math.ceil(90 / 100 * len(ordered))) - 1], 1)


def recent_months(period: Period, n: int) -> Period:
    """The ``n`` whole months ending with the period's last month (the 盲区 window)."""
    end = next_month(period.last_day.replace(day=1))
    start = end
    for _i in range(max(n, 1)):
        start = previous_month(start)
    return Period("range", start, end)


def department_units(department: Unit) -> list[Unit]:
    """The department's reporting units (active, not organization departments), tree order."""
    return list(
        Unit.objects.filter(department=department, is_active=True)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .only("pk", "name", "short_name", "kind", "sort_order", "code")
        .order_by("sort_order", "code")
    )


def unit_facts(
    department: Unit, period: Period, units: list[Unit], cells: dict[Any, Cell] | None = None
) -> dict[int, UnitFacts]:
    """Per-unit figures of the period's cohort, from its cells (read when not given)."""
    if cells is None:
        cells = aggregates.period_cells(department.pk, period)
    facts = {u.pk: UnitFacts(unit_id=u.pk, name=u.display_name, kind=u.kind) for u in units}
    for (unit_id, _month), cell in sorted(cells.items()):
        if unit_id in facts:
            facts[unit_id].add(cell)
    for unit_id, points in aggregates.period_points(department.pk, period).items():
        if unit_id in facts:
            facts[unit_id].points = Decimal(points)
    return facts


def department_facts(department: Unit, period: Period) -> DepartmentFacts:
    """Every aggregate the department's dashboards need for ``period``: about ten queries over
    the stored cells, whatever the number of items (builds the cells first if they never were)."""
    aggregates.ensure_built(department.pk)
    units = department_units(department)
    months = period.months
    index = {m: i for i, m in enumerate(months)}
    cells = aggregates.period_cells(department.pk, period)
    facts = unit_facts(department, period, units, cells)
    previous = unit_facts(department, period.previous(), units)

    submitted: dict[int, list[int]] = {u.pk: [0] * len(months) for u in units}
    adopted: dict[int, list[int]] = {u.pk: [0] * len(months) for u in units}
    by_category: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    used: set[int] = set()
    per_editor: dict[int, list[float]] = defaultdict(list)
    for (unit_id, month), cell in sorted(cells.items()):
        for editor, values in cell.get("ed", {}).items():
            per_editor[int(editor)] += values
        if unit_id not in facts:
            continue
        submitted[unit_id][index[month]] += cell.get("s", 0)
        adopted[unit_id][index[month]] += cell.get("am", 0)
        own = by_category[unit_id]
        for category_id, (n, a) in cell.get("cat", {}).items():
            before = own.get(int(category_id), (0, 0))
            own[int(category_id)] = (before[0] + n, before[1] + a)
            used.add(int(category_id))
    categories = [
        (c.pk, c.name)
        for c in Category.objects.order_by("sort_order", "id")
        if c.is_active or c.pk in used
    ]
    people = User.objects.filter(pk__in=per_editor).values_list("pk", "full_name", "username")
    names = {pk: full or username for pk, full, username in people}
    editors = [
        EditorFacts(user_id=pk, name=names.get(pk, str(pk)), hours=values)
        for pk, values in sorted(per_editor.items())
    ]
    areas = [
        (area.pk, area.name, depth, area.is_active)
        for area, depth in key_work_tree(department, period.last_day.year)
    ]
    blind_months = settings.XINBAO_BLIND_SPOT_MONTHS
    recent: dict[int, int] = defaultdict(int)
    if areas:
        window = recent_months(period, blind_months)
        whole = {m for m in months if m >= period.start and next_month(m) <= period.end}
        if window.start >= period.start and set(window.months) <= whole:
            window_cells = {k: c for k, c in cells.items() if k[1] >= window.start}
        else:
            window_cells = aggregates.period_cells(department.pk, window)
        for (unit_id, _month), cell in window_cells.items():
            if unit_id in facts:
                for area, (reported, _adopted) in cell.get("kw", {}).items():
                    recent[int(area)] += reported
    return DepartmentFacts(
        department_id=department.pk,
        period=period,
        months=months,
        units=facts,
        submitted_by_month=submitted,
        adopted_by_month=adopted,
        categories=categories,
        by_category=dict(by_category),
        editors=editors,
        previous=previous,
        areas=areas,
        recent_key_work=dict(recent),
        blind_months=blind_months,
    )
