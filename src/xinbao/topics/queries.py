"""Reads of topics, key work and timeliness, used by the pages. ``access_topic`` and
``access_area`` are the access helpers every view calls first (404, never 403)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from xinbao.items.models import Item, ItemEvent, State
from xinbao.orgs.models import Role, Unit
from xinbao.topics.models import BoardState, KeyWorkArea, KeyWorkTag, Timeliness, Topic, TopicTarget
from xinbao.topics.timeliness import UnitTimeliness

if TYPE_CHECKING:
    from xinbao.orgs.models import User

DEPARTMENT_ROLES = (Role.EDITOR, Role.DEPT_LEADER)
UNIT_ROLES = (Role.OFFICER, Role.UNIT_LEADER)
# Items that have left the unit: what a topic board and the coverage count.
SENT_STATES = frozenset(State) - {State.DRAFT, State.PENDING_SIGNOFF}


# ----------------------------------------------------------------------------------------------
# Topics
# ----------------------------------------------------------------------------------------------


def topics_visible_to(user: User) -> QuerySet[Topic]:
    """Department staff see their department's topics; units see the topics sent to them."""
    if not user.is_active or user.unit_id is None:
        return Topic.objects.none()
    if user.role in DEPARTMENT_ROLES:
        return Topic.objects.filter(department_id=user.unit_id)
    if user.role in UNIT_ROLES:
        return Topic.objects.filter(
            Exists(TopicTarget.objects.filter(topic=OuterRef("pk"), unit_id=user.unit_id))
        )
    return Topic.objects.none()


def access_topic(user: User, pk: int | str) -> Topic:
    try:
        return (
            topics_visible_to(user)
            .select_related("department", "key_work_area", "created_by")
            .get(pk=int(pk))
        )
    except (Topic.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def answerable_topics(unit: Unit) -> QuerySet[Topic]:
    """The open topics sent to ``unit``: what its items may answer (late answers included)."""
    return Topic.objects.filter(
        state=Topic.State.OPEN,
        department_id=unit.department_id,
        targets__unit=unit,
    ).order_by("deadline", "id")


def department_topics(user: User) -> QuerySet[Topic]:
    """The department's topics, newest first, with each one's target counts (one query)."""
    return (
        topics_visible_to(user)
        .select_related("key_work_area")
        .annotate(
            n_targets=Count("targets"),
            n_read=Count("targets", filter=Q(targets__read_at__isnull=False)),
            n_answered=Count("targets", filter=Q(targets__answered_at__isnull=False)),
            n_declined=Count("targets", filter=Q(targets__declined_at__isnull=False)),
        )
        .order_by("-created_at", "-id")
    )


def unit_targets(user: User) -> QuerySet[TopicTarget]:
    """A unit's topics as its target rows: open ones first, soonest deadline first; then the
    closed ones, newest first."""
    if user.unit_id is None:
        return TopicTarget.objects.none()
    return (
        TopicTarget.objects.filter(unit_id=user.unit_id)
        .select_related("topic", "topic__department")
        .annotate(
            open_deadline=Case(
                When(topic__state=Topic.State.OPEN, then=F("topic__deadline")), default=None
            )
        )
        .order_by(F("open_deadline").asc(nulls_last=True), "-topic__deadline", "-topic_id")
    )


def target_of(topic: Topic, unit_id: int | None) -> TopicTarget | None:
    if unit_id is None:
        return None
    return TopicTarget.objects.filter(topic=topic, unit_id=unit_id).first()


def unit_answers(topic: Topic, unit_id: int) -> list[Item]:
    """The unit's items linked to the topic (drafts included: the unit's own view)."""
    return list(
        Item.objects.filter(topic=topic, unit_id=unit_id)
        .select_related("category")
        .order_by("created_at", "id")
    )


@dataclass
class BoardRow:
    target: TopicTarget
    state: BoardState
    items: list[Item] = field(default_factory=list)


@dataclass
class Board:
    topic: Topic
    rows: list[BoardRow]
    counts: dict[BoardState, int]

    @property
    def summary(self) -> list[tuple[BoardState, int]]:
        return [(state, self.counts.get(state, 0)) for state in BoardState]


def topic_board(topic: Topic, now: datetime.datetime) -> Board:
    """Every target unit's state, with the items it sent in answer (two queries)."""
    targets = list(
        topic.targets.select_related("unit", "read_by").order_by("unit__sort_order", "unit__code")
    )
    answers: dict[int, list[Item]] = defaultdict(list)
    for item in (
        Item.objects.filter(topic=topic, state__in=SENT_STATES)
        .only("id", "title", "state", "unit_id", "submitted_at", "topic_id")
        .order_by("submitted_at", "id")
    ):
        answers[item.unit_id].append(item)
    rows = [
        BoardRow(target=t, state=t.board_state(topic.deadline, now), items=answers[t.unit_id])
        for t in targets
    ]
    counts: dict[BoardState, int] = defaultdict(int)
    for row in rows:
        counts[row.state] += 1
    return Board(topic=topic, rows=rows, counts=dict(counts))


# ----------------------------------------------------------------------------------------------
# Key work
# ----------------------------------------------------------------------------------------------


def access_area(user: User, pk: int | str) -> KeyWorkArea:
    if not user.has_role(*DEPARTMENT_ROLES) or user.unit_id is None:
        raise Http404
    try:
        return KeyWorkArea.objects.get(pk=int(pk), department_id=user.unit_id)
    except (KeyWorkArea.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def key_work_years(department: Unit) -> list[int]:
    return sorted(
        set(KeyWorkArea.objects.filter(department=department).values_list("year", flat=True)),
        reverse=True,
    )


def key_work_tree(
    department: Unit, year: int, *, active_only: bool = False
) -> list[tuple[KeyWorkArea, int]]:
    """The year's areas in tree order (parents before children, siblings by sort order), each
    with its depth (0 for roots), from one query."""
    qs = KeyWorkArea.objects.filter(department=department, year=year)
    if active_only:
        qs = qs.filter(is_active=True)
    areas = list(qs.order_by("sort_order", "id"))
    children: dict[int | None, list[KeyWorkArea]] = defaultdict(list)
    known = {a.pk for a in areas}
    for area in areas:
        children[area.parent_id if area.parent_id in known else None].append(area)
    ordered: list[tuple[KeyWorkArea, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for area in children.get(parent, []):
            ordered.append((area, depth))
            walk(area.pk, depth + 1)

    walk(None, 0)
    return ordered


def item_year(item: Item) -> int:
    return timezone.localtime(item.submitted_at or item.created_at).year


def item_key_work(item: Item) -> tuple[list[tuple[KeyWorkArea, int]], set[int]]:
    """The areas an item may be tagged with (its department's, for the item's year) and the
    ids of those it carries."""
    tree = key_work_tree(item.department, item_year(item), active_only=True)
    tagged = set(KeyWorkTag.objects.filter(item=item).values_list("area_id", flat=True))
    return tree, tagged


@dataclass
class CoverageRow:
    area: KeyWorkArea
    depth: int
    reported: list[int]  # per month, oldest first
    adopted: list[int]
    blind: bool

    @property
    def cells(self) -> list[tuple[int, int]]:
        return list(zip(self.reported, self.adopted, strict=True))

    @property
    def total_reported(self) -> int:
        return sum(self.reported)

    @property
    def total_adopted(self) -> int:
        return sum(self.adopted)


@dataclass
class Coverage:
    months: list[datetime.date]  # first day of each month, oldest first
    rows: list[CoverageRow]
    blind_months: int


def month_starts(today: datetime.date, count: int = 12) -> list[datetime.date]:
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def coverage(department: Unit, year: int, today: datetime.date | None = None) -> Coverage:
    """Per area and month (the last 12), how many items tagged with the area (or one of its
    sub-areas) reached the department, and how many of those were adopted; an area with none in
    the last ``XINBAO_BLIND_SPOT_MONTHS`` months is a blind spot (盲区).

    One query fetches (area, month of arrival, item, adopted) for the department's tagged items
    in the window; the counts per cell are distinct items, rolled up the tree in Python.
    """
    today = today or timezone.localdate()
    months = month_starts(today)
    tree = key_work_tree(department, year)
    index = {m: i for i, m in enumerate(months)}
    start = timezone.make_aware(datetime.datetime.combine(months[0], datetime.time.min))
    adopted = ItemEvent.objects.filter(item=OuterRef("item_id"), action="adopt")
    rows = (
        KeyWorkTag.objects.filter(
            area__department=department,
            area__year=year,
            item__department=department,
            item__state__in=SENT_STATES,
            item__submitted_at__gte=start,
        )
        .annotate(
            month=TruncMonth("item__submitted_at", tzinfo=timezone.get_current_timezone()),
            was_adopted=Exists(adopted),
        )
        .values_list("area_id", "month", "item_id", "was_adopted")
    )
    parent_of = {area.pk: area.parent_id for area, _depth in tree}
    reported: dict[int, list[set[int]]] = defaultdict(lambda: [set() for _ in months])
    adopted_sets: dict[int, list[set[int]]] = defaultdict(lambda: [set() for _ in months])
    for area_id, month, item_id, was_adopted in rows:
        column = index.get(month.date() if isinstance(month, datetime.datetime) else month)
        if column is None:
            continue
        node: int | None = area_id
        seen: set[int] = set()
        while node is not None and node not in seen:  # the area and each of its ancestors
            seen.add(node)
            reported[node][column].add(item_id)
            if was_adopted:
                adopted_sets[node][column].add(item_id)
            node = parent_of.get(node)
    blind_months = settings.XINBAO_BLIND_SPOT_MONTHS
    result = []
    for area, depth in tree:
        counts = [len(s) for s in reported[area.pk]]
        result.append(
            CoverageRow(
                area=area,
                depth=depth,
                reported=counts,
                adopted=[len(s) for s in adopted_sets[area.pk]],
                blind=area.is_active and sum(counts[-blind_months:]) == 0,
            )
        )
    return Coverage(months=months, rows=result, blind_months=blind_months)


# ----------------------------------------------------------------------------------------------
# Timeliness
# ----------------------------------------------------------------------------------------------


def timeliness_by_unit(department: Unit, now: datetime.datetime) -> list[UnitTimeliness]:
    """Per unit of the department, over items that reached it in the last 12 months: how many,
    how many 迟报, urgent ones and how many of those arrived late, and the median and 90th
    percentile of event → arrival and arrival → first action. One query plus the units."""
    since = now - datetime.timedelta(days=365)
    records = Timeliness.objects.filter(
        item__department=department, submitted_at__gte=since
    ).values_list(
        "item__unit_id",
        "to_submit",
        "to_first_action",
        "late_report",
        "urgency",
        "submitted_at",
        "submit_due_at",
    )
    units = {
        u.pk: u for u in Unit.objects.filter(department=department).exclude(kind=Unit.Kind.ORG_DEPT)
    }
    summary: dict[int, UnitTimeliness] = {}
    for unit_id, to_submit, to_action, late, urgency, submitted_at, due in records:
        if unit_id not in units:
            continue
        row = summary.setdefault(unit_id, UnitTimeliness(unit=units[unit_id]))
        row.items += 1
        row.late_reports += bool(late)
        if urgency:
            row.urgent += 1
            row.urgent_late += bool(due and submitted_at and submitted_at > due)
        if to_submit is not None:
            row.to_submit.append(to_submit)
        if to_action is not None:
            row.to_first_action.append(to_action)
    return sorted(summary.values(), key=lambda r: (r.unit.sort_order, r.unit.code))
