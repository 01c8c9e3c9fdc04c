"""Per-unit, per-month aggregates of the dashboards (``UnitMonth``), so a province-scale year
reads a few rows per unit and month instead of every item.

A *cell* is one unit's figures for one month, a JSON object with these keys (a missing key is
0 or empty; hours are rounded to a tenth):

- ``s``, ``a``: items that reached the department that month (the month's cohort) and how many
  of them the county adopted (at any time);
- ``lv``: ``{level: n}`` cohort items adopted by the city / province / centre; ``ins``: cohort
  items with an instruction; ``ret``: cohort items returned for revision at least once;
- ``ref``, ``dup``: cohort items adopted as 参阅类 / flagged near-duplicates; ``rs``, ``rn``:
  the sum and number of the cohort's rubric scores (``dashboard.hooks``; absent: no facts);
- ``ts``, ``tf``: per cohort item, hours from the event to arrival and from arrival to the
  editor's first action; ``urg``, ``late``, ``uh``: urgent items, those past their limit, and
  their hours from the event to arrival;
- ``cat``: ``{category_id: [submitted, adopted]}`` of the cohort;
- ``kw``: ``{key_work_area_id: [reported, adopted]}`` of the cohort's tagged items, each area
  counting the items tagged with it or with one of its sub-areas once;
- ``am``: the unit's items the county adopted *in* that month (the trend counts adoptions by
  the month they happened); ``ed``: ``{editor_id: [hours]}`` for the unit's items whose first
  editor action happened in that month.

Every figure of a period is the sum (or, for hours, the concatenation) of its months' cells, so
medians and 90th percentiles stay exact. ``raw_cells`` computes cells from the facts with a
fixed number of grouped queries; a dashboard reads the stored cells of the months wholly inside
its period and computes only the days of a partial month at either end of a date range.

Keeping them current: ``department_build`` computes every cell of a department (``xinbao
dashboard_rebuild``, or the first dashboard of a department that has never been built); after
that, ``dashboard.signals`` notes every changed fact and, after the transaction commits,
``units_refresh`` rewrites only the cells of the units concerned (a unit's whole history: a few
hundred items at most), then makes the cached figures stale. Points are not in the cells: they
come from the ledger's monthly tallies (``scoring.ScoreTally``), which the ledger rewrites with
its rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from xinbao.dashboard import hooks
from xinbao.dashboard.models import AggregateBuild, UnitMonth
from xinbao.dashboard.periods import Period, aware, next_month
from xinbao.items.models import Item, ItemEvent
from xinbao.publishing.models import ExternalAdoption, Instruction, IssueEntry, PublicationIssue
from xinbao.topics.models import KeyWorkArea, KeyWorkTag, Timeliness
from xinbao.topics.timeliness import FIRST_ACTIONS

UPPER_LEVELS = ("city", "province", "central")
ADOPTED = Count("id", filter=Q(timeliness__adopted_at__isnull=False))
BATCH = 2000

Cell = dict[str, Any]
CellKey = tuple[int, datetime.date]  # (unit id, first day of the month)


def hours(value: datetime.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def month_bucket(field_name: str, months: list[datetime.date]) -> Any:
    """The index of the month (in ``months``) a datetime falls in, as plain comparisons in SQL
    (no time-zone function per row: the month boundaries are computed once, in local time)."""
    from django.db.models import Case, IntegerField, Value, When

    bounds = [aware(m) for m in months[1:]]
    whens = [When(**{f"{field_name}__lt": bound}, then=Value(i)) for i, bound in enumerate(bounds)]
    return Case(*whens, default=Value(len(months) - 1), output_field=IntegerField())


def month_number(field_name: str) -> Any:
    """year × 12 + month − 1 of a datetime in local time. A time-zone function per row: for a
    few units' rows (the refresh after a write) cheaper than ``month_bucket``, whose CASE of
    every month boundary of their history Django compiles again for each query."""
    from django.db.models.functions import ExtractMonth, ExtractYear

    local = timezone.get_current_timezone()
    return ExtractYear(field_name, tzinfo=local) * 12 + ExtractMonth(field_name, tzinfo=local) - 1


@dataclass(frozen=True)
class UnitItems:
    """A few units' items of one department: those of ``unit_ids`` but ``elsewhere`` (their
    items submitted to another department, before a unit moved). Read through the unit index
    with a short list of units: the department's index would scan all its items, and a list of
    every item id would be sent, and parsed, with each of ``raw_cells``' queries."""

    unit_ids: list[int]
    elsewhere: list[int]

    def items(self) -> QuerySet[Item]:
        items = Item.objects.filter(unit_id__in=self.unit_ids)
        return items.exclude(pk__in=self.elsewhere) if self.elsewhere else items

    def records(self) -> QuerySet[Timeliness]:
        records = Timeliness.objects.filter(item__unit_id__in=self.unit_ids)
        return records.exclude(item_id__in=self.elsewhere) if self.elsewhere else records


def raw_cells(
    department_id: int,
    start: datetime.date,
    end: datetime.date,
    units: UnitItems | None = None,
) -> dict[CellKey, Cell]:
    """The cells of the days ``[start, end)`` (within one or more months), computed from the
    facts of the department's items (or of ``units``' items only): 13 grouped queries whatever
    the number of units and items. A cell of a partial month holds only its days inside the
    span."""
    months = Period("range", start, end).months
    lo, hi = aware(start), aware(end)
    cells: dict[CellKey, Cell] = defaultdict(dict)
    # ``m`` of every query below: the month's index in ``months`` (a department's items), or
    # its ``month_number`` (a few units' items).
    if units is None:
        by_number: dict[int, datetime.date] | None = None

        def bucket(field_name: str) -> Any:
            return month_bucket(field_name, months)
    else:
        by_number = {m.year * 12 + m.month - 1: m for m in months}
        bucket = month_number

    def cell(unit_id: int, m: int) -> Cell:
        return cells[(unit_id, months[m] if by_number is None else by_number[int(m)])]

    def add(target: Cell, key: str, n: int) -> None:
        target[key] = target.get(key, 0) + n

    if units is None:
        items = Item.objects.filter(department_id=department_id)
        records = Timeliness.objects.filter(item__department_id=department_id)
    else:
        items, records = units.items(), units.records()
    base = items.filter(submitted_at__gte=lo, submitted_at__lt=hi)
    cohort = base.annotate(m=bucket("submitted_at"))
    ids = base.values("id")

    for row in cohort.values("unit_id", "m").annotate(n=Count("id"), a=ADOPTED).order_by():
        target = cell(row["unit_id"], row["m"])
        target["s"], target["a"] = row["n"], row["a"]

    item_month = bucket("item__submitted_at")
    upper: dict[tuple[int, int, str], set[int]] = defaultdict(set)
    entries = (
        IssueEntry.objects.filter(
            item_id__in=ids,
            issue__state=PublicationIssue.State.PUBLISHED,
            issue__publication__department__level__in=UPPER_LEVELS,
        )
        .annotate(m=item_month)
        .values_list("item__unit_id", "m", "issue__publication__department__level", "item_id")
    )
    externals = (
        ExternalAdoption.objects.filter(item_id__in=ids, level__in=UPPER_LEVELS)
        .annotate(m=item_month)
        .values_list("item__unit_id", "m", "level", "item_id")
    )
    for unit_id, m, level, item_id in [*entries, *externals]:
        upper[(unit_id, m, level)].add(item_id)
    for (unit_id, m, level), found in upper.items():
        cell(unit_id, m).setdefault("lv", {})[level] = len(found)

    for model, key, extra in (
        (Instruction, "ins", Q()),
        (ItemEvent, "ret", Q(action="return")),
    ):
        for row in (
            model.objects.filter(extra, item_id__in=ids)
            .annotate(m=item_month)
            .values("item__unit_id", "m")
            .annotate(n=Count("item_id", distinct=True))
            .order_by()
        ):
            cell(row["item__unit_id"], row["m"])[key] = row["n"]

    for (unit_id, m), n in hooks.reference_adoptions(cohort).items():
        cell(unit_id, m)["ref"] = n
    for (unit_id, m), (total, n) in hooks.rubric_sums(cohort).items():
        cell(unit_id, m).update(rs=total, rn=n)
    for (unit_id, m), n in hooks.flagged_duplicates(cohort).items():
        cell(unit_id, m)["dup"] = n

    for row in (
        cohort.values("unit_id", "m", "category_id").annotate(n=Count("id"), a=ADOPTED).order_by()
    ):
        categories = cell(row["unit_id"], row["m"]).setdefault("cat", {})
        categories[str(row["category_id"])] = [row["n"], row["a"]]

    for unit_id, m, to_submit, to_action, urgency, due, arrived in (
        records.filter(submitted_at__gte=lo, submitted_at__lt=hi)
        .annotate(m=bucket("submitted_at"))
        .values_list(
            "item__unit_id",
            "m",
            "to_submit",
            "to_first_action",
            "urgency",
            "submit_due_at",
            "submitted_at",
        )
    ):
        target = cell(unit_id, m)
        if to_submit is not None:
            target.setdefault("ts", []).append(hours(to_submit))
        if to_action is not None:
            target.setdefault("tf", []).append(hours(to_action))
        if urgency:
            add(target, "urg", 1)
            if to_submit is not None:
                target.setdefault("uh", []).append(hours(to_submit))
            if due and arrived and arrived > due:
                add(target, "late", 1)

    for row in (
        records.filter(adopted_at__gte=lo, adopted_at__lt=hi)
        .annotate(m=bucket("adopted_at"))
        .values("item__unit_id", "m")
        .annotate(n=Count("item_id"))
        .order_by()
    ):
        cell(row["item__unit_id"], row["m"])["am"] = row["n"]

    first_actor = (
        ItemEvent.objects.filter(
            item_id=OuterRef("item_id"),
            action__in=FIRST_ACTIONS,
            created_at=OuterRef("first_action_at"),
        )
        .order_by("id")
        .values("actor_id")[:1]
    )
    for unit_id, m, actor_id, to_action in (
        records.filter(
            first_action_at__gte=lo, first_action_at__lt=hi, to_first_action__isnull=False
        )
        .annotate(m=bucket("first_action_at"), actor=Subquery(first_actor))
        .values_list("item__unit_id", "m", "actor", "to_first_action")
    ):
        if actor_id is not None:
            editors = cell(unit_id, m).setdefault("ed", {})
            editors.setdefault(str(actor_id), []).append(hours(to_action))

    parent_of = dict(
        KeyWorkArea.objects.filter(department_id=department_id).values_list("pk", "parent_id")
    )
    tagged: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    adopted: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for area_id, item_id, unit_id, m, adopted_at in (
        KeyWorkTag.objects.filter(area__department_id=department_id, item_id__in=ids)
        .annotate(m=item_month)
        .values_list("area_id", "item_id", "item__unit_id", "m", "item__timeliness__adopted_at")
    ):
        node: int | None = area_id
        seen: set[int] = set()
        while node is not None and node not in seen:  # the area and each of its ancestors
            seen.add(node)
            tagged[(unit_id, m, node)].add(item_id)
            if adopted_at is not None:
                adopted[(unit_id, m, node)].add(item_id)
            node = parent_of.get(node)
    for (unit_id, m, area_id), found in tagged.items():
        key_work = cell(unit_id, m).setdefault("kw", {})
        key_work[str(area_id)] = [len(found), len(adopted.get((unit_id, m, area_id), ()))]
    for target in cells.values():  # hour lists in a fixed order (rows come in any order)
        for key in ("ts", "tf", "uh"):
            if key in target:
                target[key].sort()
        for hours_of_editor in target.get("ed", {}).values():
            hours_of_editor.sort()
    return dict(cells)


def _years(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """``[first month, the month after last)`` cut into calendar years (small CASE buckets)."""
    spans = []
    start = first.replace(day=1)
    stop = next_month(last.replace(day=1))
    while start < stop:
        year_end = min(datetime.date(start.year + 1, 1, 1), stop)
        spans.append((start, year_end))
        start = year_end
    return spans


def _history(department_id: int) -> tuple[Any, Any] | None:
    """The first and last local dates any cell of the department can fall on (None: no
    items)."""
    items = Item.objects.filter(department_id=department_id, submitted_at__isnull=False)
    found = items.aggregate(
        first=Min("submitted_at"),
        last=Max("submitted_at"),
        adopted=Max("timeliness__adopted_at"),
        acted=Max("timeliness__first_action_at"),
    )
    return _span(found["first"], [found["last"], found["adopted"], found["acted"]])


def _span(first: Any, lasts: Iterable[Any]) -> tuple[Any, Any] | None:
    if first is None:
        return None
    last = max(v for v in lasts if v is not None)
    return timezone.localdate(first), timezone.localdate(last)


def _compute(department_id: int, unit_ids: list[int] | None) -> dict[CellKey, Cell]:
    units = None
    if unit_ids is None:
        history = _history(department_id)
    else:
        # The units' items and their history in one read by the unit index.
        rows = Item.objects.filter(unit_id__in=unit_ids).values_list(
            "pk",
            "department_id",
            "submitted_at",
            "timeliness__adopted_at",
            "timeliness__first_action_at",
        )
        ours = [row for row in rows if row[1] == department_id]
        if not ours:
            return {}
        units = UnitItems(
            sorted(unit_ids), sorted(row[0] for row in rows if row[1] != department_id)
        )
        submitted = [row[2] for row in ours if row[2] is not None]
        lasts = [v for row in ours if row[2] is not None for v in row[2:]]
        history = _span(min(submitted, default=None), lasts)
    cells: dict[CellKey, Cell] = {}
    if history is None:
        return cells
    # A department's whole history is cut into years (small CASE buckets over many rows); a few
    # units' items are read in one span: 13 queries instead of 13 per year (the background
    # refresh after each write, ``scoring.pending``).
    first, last = history
    whole = [(first.replace(day=1), next_month(last.replace(day=1)))]
    spans = _years(first, last) if units is None else whole
    for start, end in spans:
        cells.update(raw_cells(department_id, start, end, units))
    return cells


def _write(department_id: int, cells: dict[CellKey, Cell], stale: QuerySet[UnitMonth]) -> None:
    stale.delete()
    UnitMonth.objects.bulk_create(
        [
            UnitMonth(department_id=department_id, unit_id=unit_id, month=month, data=data)
            for (unit_id, month), data in sorted(cells.items())
        ],
        batch_size=BATCH,
    )


def department_build(department_id: int) -> int:
    """Compute and store every cell of the department (all its history); returns the rows."""
    cells = _compute(department_id, None)
    with transaction.atomic():
        build, _created = AggregateBuild.objects.select_for_update().get_or_create(
            department_id=department_id, defaults={"built_at": timezone.now()}
        )
        _write(department_id, cells, UnitMonth.objects.filter(department_id=department_id))
        build.built_at = timezone.now()
        build.save(update_fields=["built_at"])
    return len(cells)


def ensure_built(department_id: int) -> None:
    """Build the department's cells if they never were (one indexed query otherwise)."""
    if not AggregateBuild.objects.filter(department_id=department_id).exists():
        department_build(department_id)


def units_refresh(department_id: int, unit_ids: Iterable[int]) -> int:
    """Rewrite the cells of these units of the department from their facts (their whole
    history); nothing when the department was never built (its first dashboard builds it).
    Runs under the department's ``AggregateBuild`` row lock. Returns the rows written."""
    units = sorted(set(unit_ids))
    if not units:
        return 0
    with transaction.atomic():
        build = AggregateBuild.objects.select_for_update().filter(department_id=department_id)
        if build.first() is None:
            return 0
        cells = _compute(department_id, units)
        stale = UnitMonth.objects.filter(department_id=department_id, unit_id__in=units)
        _write(department_id, cells, stale)
    return len(cells)


# ----------------------------------------------------------------------------------------------
# Reading a period
# ----------------------------------------------------------------------------------------------


def period_cells(department_id: int, period: Period) -> dict[CellKey, Cell]:
    """The cells of ``period``: stored rows for the months wholly inside it, computed ones for
    the days of a partial month at either end. The department must be built (``ensure_built``).
    One query, plus ``raw_cells`` for each partial month."""
    months = period.months
    whole = [m for m in months if m >= period.start and next_month(m) <= period.end]
    cells: dict[CellKey, Cell] = {}
    if whole:
        rows = UnitMonth.objects.filter(
            department_id=department_id, month__gte=whole[0], month__lte=whole[-1]
        ).values_list("unit_id", "month", "data")
        cells = {(unit_id, month): data for unit_id, month, data in rows}
    for month in months:
        if month in whole:
            continue
        start, end = max(month, period.start), min(next_month(month), period.end)
        cells.update(raw_cells(department_id, start, end))
    return cells


def period_points(department_id: int, period: Period) -> dict[int, Any]:
    """Each unit's points in ``period``: the ledger's monthly tallies for whole months, its lines
    for the days of a partial month (two queries at most, plus one per partial month)."""
    from xinbao.scoring.models import ScoreEntry, ScoreTally

    months = period.months
    whole = [m for m in months if m >= period.start and next_month(m) <= period.end]
    points: dict[int, Any] = defaultdict(int)
    if whole:
        for unit_id, total in (
            ScoreTally.objects.filter(
                department_id=department_id, month__gte=whole[0], month__lte=whole[-1]
            )
            .values("unit_id")
            .annotate(total=Sum("points"))
            .values_list("unit_id", "total")
            .order_by()
        ):
            points[unit_id] += total or 0
    for month in months:
        if month in whole:
            continue
        start, end = max(month, period.start), min(next_month(month), period.end)
        for unit_id, total in (
            ScoreEntry.objects.filter(
                department_id=department_id, fact_date__gte=start, fact_date__lt=end
            )
            .values("unit_id")
            .annotate(total=Sum("points"))
            .values_list("unit_id", "total")
            .order_by()
        ):
            points[unit_id] += total or 0
    return dict(points)
