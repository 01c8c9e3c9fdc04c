"""The aggregate facts behind every dashboard: one department, one period, all its units.

``department_facts`` runs a fixed number of aggregate queries (independent of the number of
units and items) and returns plain numbers per unit, per month and per category; every chart of
the department's and of a unit's dashboard is computed from them (``dashboard.figures``), and
they are what the cache holds (``dashboard.cache``).

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
- *points*: the ledger's lines (``scoring.ScoreEntry``) dated in the period;
- *timeliness*: ``Timeliness.to_submit`` (event → arrival) and ``to_first_action`` (arrival →
  the editor's first action), median and nearest-rank 90th percentile from
  ``topics.timeliness.median``/``percentile``.

Quality hooks (see ``dashboard.hooks``) supply the 参阅类 share, the rubric score and flagged
near-duplicates once the apps that own them provide the facts; until then they are ``None``
("not available"), never a made-up 0.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Sum, Value, When

from xinbao.dashboard import hooks
from xinbao.dashboard.periods import Period, aware
from xinbao.items.models import Category, Item, ItemEvent
from xinbao.orgs.models import Unit, User
from xinbao.publishing.models import (
    HIGH_LEVELS,
    ExternalAdoption,
    Instruction,
    IssueEntry,
    PublicationIssue,
)
from xinbao.scoring.models import ScoreEntry
from xinbao.topics.models import Timeliness
from xinbao.topics.timeliness import FIRST_ACTIONS, median, percentile

UPPER_LEVELS = ("city", "province", "central")
ADOPTED = Count("id", filter=Q(timeliness__adopted_at__isnull=False))


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


def hours(value: datetime.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def median_hours(values: list[float]) -> float | None:
    result = median([datetime.timedelta(hours=v) for v in values])
    return hours(result)


def p90_hours(values: list[float]) -> float | None:
    return hours(percentile([datetime.timedelta(hours=v) for v in values], 90))


def month_bucket(field_name: str, months: list[datetime.date]) -> Case:
    """The index of the period's month a datetime falls in, as plain comparisons in SQL (no
    time-zone function per row: the month boundaries are computed once, in local time)."""
    bounds = [aware(m) for m in months[1:]]
    whens = [When(**{f"{field_name}__lt": bound}, then=Value(i)) for i, bound in enumerate(bounds)]
    return Case(*whens, default=Value(len(months) - 1), output_field=IntegerField())


def department_units(department: Unit) -> list[Unit]:
    """The department's reporting units (active, not organization departments), tree order."""
    return list(
        Unit.objects.filter(department=department, is_active=True)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .only("pk", "name", "short_name", "kind", "sort_order", "code")
        .order_by("sort_order", "code")
    )


def unit_facts(department: Unit, period: Period, units: list[Unit]) -> dict[int, UnitFacts]:
    """Per-unit counts for the period's cohort (a fixed number of queries)."""
    start, end = period.bounds()
    facts = {u.pk: UnitFacts(unit_id=u.pk, name=u.display_name, kind=u.kind) for u in units}
    cohort = Item.objects.filter(
        department=department, submitted_at__gte=start, submitted_at__lt=end, unit_id__in=facts
    )
    for row in cohort.values("unit_id").annotate(n=Count("id"), adopted=ADOPTED).order_by():
        facts[row["unit_id"]].submitted = row["n"]
        facts[row["unit_id"]].adopted = row["adopted"]
    cohort_ids = cohort.values("id")
    upper: dict[tuple[int, str], set[int]] = defaultdict(set)
    entries = IssueEntry.objects.filter(
        item_id__in=cohort_ids,
        issue__state=PublicationIssue.State.PUBLISHED,
        issue__publication__department__level__in=UPPER_LEVELS,
    ).values_list("item__unit_id", "issue__publication__department__level", "item_id")
    externals = ExternalAdoption.objects.filter(
        item_id__in=cohort_ids, level__in=UPPER_LEVELS
    ).values_list("item__unit_id", "level", "item_id")
    for unit_id, level, item_id in [*entries, *externals]:
        upper[(unit_id, level)].add(item_id)
    for (unit_id, level), items in upper.items():
        facts[unit_id].levels[level] = len(items)
    for row in (
        Instruction.objects.filter(item_id__in=cohort_ids)
        .values("item__unit_id")
        .annotate(n=Count("item_id", distinct=True))
        .order_by()
    ):
        facts[row["item__unit_id"]].instructions = row["n"]
    for row in (
        ItemEvent.objects.filter(item_id__in=cohort_ids, action="return")
        .values("item__unit_id")
        .annotate(n=Count("item_id", distinct=True))
        .order_by()
    ):
        facts[row["item__unit_id"]].returned = row["n"]
    for row in (
        ScoreEntry.objects.filter(
            department=department,
            fact_date__gte=period.start,
            fact_date__lt=period.end,
            unit_id__in=facts,
        )
        .values("unit_id")
        .annotate(total=Sum("points"))
        .order_by()
    ):
        facts[row["unit_id"]].points = row["total"] or Decimal(0)
    for unit_id, value in hooks.reference_adoptions(cohort).items():
        facts[unit_id].reference = value
    for unit_id, score in hooks.rubric_averages(cohort).items():
        facts[unit_id].rubric = score
    for unit_id, value in hooks.flagged_duplicates(cohort).items():
        facts[unit_id].duplicates = value
    return facts


def department_facts(department: Unit, period: Period) -> DepartmentFacts:
    """Every aggregate the department's dashboards need for ``period`` (about 15 queries)."""
    units = department_units(department)
    months = period.months
    start, end = period.bounds()
    facts = unit_facts(department, period, units)
    previous = unit_facts(department, period.previous(), units)

    submitted: dict[int, list[int]] = {u.pk: [0] * len(months) for u in units}
    adopted: dict[int, list[int]] = {u.pk: [0] * len(months) for u in units}
    cohort = Item.objects.filter(
        department=department, submitted_at__gte=start, submitted_at__lt=end, unit_id__in=facts
    )
    for row in (
        cohort.annotate(month=month_bucket("submitted_at", months))
        .values("unit_id", "month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        submitted[row["unit_id"]][row["month"]] += row["n"]
    for row in (
        Timeliness.objects.filter(
            item__department=department,
            item__unit_id__in=facts,
            adopted_at__gte=start,
            adopted_at__lt=end,
        )
        .annotate(month=month_bucket("adopted_at", months))
        .values("item__unit_id", "month")
        .annotate(n=Count("item_id"))
        .order_by()
    ):
        adopted[row["item__unit_id"]][row["month"]] += row["n"]

    by_category: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    used: set[int] = set()
    for row in (
        cohort.values("unit_id", "category_id").annotate(n=Count("id"), adopted=ADOPTED).order_by()
    ):
        by_category[row["unit_id"]][row["category_id"]] = (row["n"], row["adopted"])
        used.add(row["category_id"])
    categories = [
        (c.pk, c.name)
        for c in Category.objects.order_by("sort_order", "id")
        if c.is_active or c.pk in used
    ]

    for unit_id, to_submit, to_action, urgency, due, arrived in Timeliness.objects.filter(
        item__department=department,
        item__unit_id__in=facts,
        submitted_at__gte=start,
        submitted_at__lt=end,
    ).values_list(
        "item__unit_id", "to_submit", "to_first_action", "urgency", "submit_due_at", "submitted_at"
    ):
        record = facts[unit_id]
        if to_submit is not None:
            record.to_submit.append(hours(to_submit) or 0.0)
        if to_action is not None:
            record.to_first_action.append(hours(to_action) or 0.0)
        if urgency:
            record.urgent += 1
            if to_submit is not None:
                record.urgent_hours.append(hours(to_submit) or 0.0)
            record.urgent_late += bool(due and arrived and arrived > due)

    first_actor = (
        ItemEvent.objects.filter(
            item_id=OuterRef("item_id"),
            action__in=FIRST_ACTIONS,
            created_at=OuterRef("first_action_at"),
        )
        .order_by("id")
        .values("actor_id")[:1]
    )
    per_editor: dict[int, list[float]] = defaultdict(list)
    for actor_id, to_action in (
        Timeliness.objects.filter(
            item__department=department,
            first_action_at__gte=start,
            first_action_at__lt=end,
            to_first_action__isnull=False,
        )
        .annotate(actor=Subquery(first_actor))
        .values_list("actor", "to_first_action")
    ):
        if actor_id is not None:
            per_editor[actor_id].append(hours(to_action) or 0.0)
    people = User.objects.filter(pk__in=per_editor).values_list("pk", "full_name", "username")
    names = {pk: full or username for pk, full, username in people}
    editors = [
        EditorFacts(user_id=pk, name=names.get(pk, str(pk)), hours=values)
        for pk, values in sorted(per_editor.items())
    ]
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
    )
