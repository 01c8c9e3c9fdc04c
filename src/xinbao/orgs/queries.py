"""Reads for the officer team: roster, history, training, the exemplary library and portfolios.

Access helpers (``access_roster_unit``, ``access_officer``, ``access_training``,
``access_exemplary``) answer 404 for what the user may not see; the rules are in
``orgs.permissions``. Every list is one or a fixed number of indexed queries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from xinbao.items.diff import RevisionPair, revision_pairs
from xinbao.items.models import Item, Revision
from xinbao.items.queries import items_visible_to
from xinbao.orgs.models import (
    DEPARTMENT_ROLES,
    UNIT_ROLES,
    Attendance,
    ExemplaryItem,
    OfficerEvent,
    Role,
    TrainingSession,
    Unit,
    User,
)
from xinbao.orgs.permissions import can_see_portfolio, is_department_reader
from xinbao.publishing.models import HIGH_LEVELS
from xinbao.search.normalize import normalize

if TYPE_CHECKING:
    from collections.abc import Iterable

RANK_ORDER = {User.OfficerRank.PRIMARY: 0, User.OfficerRank.REGULAR: 1, User.OfficerRank.BACKUP: 2}
LACKING_LIMIT = 200  # units listed as lacking an officer or a backup, at most


def department_id_of(user: User) -> int | None:
    """The organization department whose officer team ``user`` works with, if any."""
    if not user.is_active or user.unit is None:
        return None
    if user.role in DEPARTMENT_ROLES:
        return user.unit.pk
    if user.role in UNIT_ROLES:
        return user.unit.department_id
    return None


def officers_prefetch(*, active_only: bool = True) -> Prefetch:
    qs = User.objects.filter(role=Role.OFFICER)
    if active_only:
        qs = qs.filter(is_active=True)
    return Prefetch(
        "users", queryset=qs.order_by("officer_rank", "full_name", "id"), to_attr="officers"
    )


def roster_units(department: Unit, kind: str = "") -> QuerySet[Unit]:
    """The department's units in tree order, each with ``officers`` (active officers, primary
    first). Two queries a page."""
    qs = Unit.objects.filter(department=department, is_active=True).exclude(kind=Unit.Kind.ORG_DEPT)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.prefetch_related(officers_prefetch()).order_by("sort_order", "code")


def units_lacking_officers(department: Unit) -> list[Unit]:
    """Units without an active officer, or without an active backup (后续力量), with
    ``active_officers`` and ``backups`` annotated. One query, at most ``LACKING_LIMIT`` rows."""
    officer = Q(users__role=Role.OFFICER, users__is_active=True)
    return list(
        Unit.objects.filter(department=department, is_active=True)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .annotate(
            active_officers=Count("users", filter=officer),
            backups=Count("users", filter=officer & Q(users__officer_rank=User.OfficerRank.BACKUP)),
        )
        .filter(Q(active_officers=0) | Q(backups=0))
        .order_by("active_officers", "sort_order", "code")[:LACKING_LIMIT]
    )


def access_roster_unit(user: User, pk: int) -> Unit:
    """A unit's roster: its own officers and leader, or its department's editors and leaders."""
    unit = Unit.objects.filter(pk=pk).select_related("department").first()
    if unit is None or unit.is_org_department:
        raise Http404
    if user.has_role(*UNIT_ROLES) and user.unit_id == unit.pk:
        return unit
    if is_department_reader(user, unit.department_id):
        return unit
    raise Http404


def unit_officers(unit: Unit) -> list[User]:
    """All the unit's officers, those who left included (last), each with ``events``."""
    events = Prefetch(
        "officer_events",
        queryset=OfficerEvent.objects.select_related("unit", "from_unit").order_by(
            "-occurred_on", "-id"
        ),
        to_attr="events",
    )
    officers = (
        User.objects.filter(unit=unit, role=Role.OFFICER)
        .select_related("unit")
        .prefetch_related(events)
        .order_by("-is_active", "officer_rank", "full_name", "id")
    )
    return list(officers)


def officer_history(officer: User) -> list[OfficerEvent]:
    return list(
        officer.officer_events.select_related("unit", "from_unit", "recorded_by").order_by(
            "occurred_on", "id"
        )
    )


def officers_for_api(user: User) -> QuerySet[User]:
    """The officers ``user`` may list: the department's (editors, leaders) or the own unit's."""
    department_id = department_id_of(user)
    if department_id is None:
        return User.objects.none()
    qs = User.objects.filter(role=Role.OFFICER).select_related("unit", "unit__department")
    if user.role in UNIT_ROLES:
        return qs.filter(unit=user.home_unit)
    return qs.filter(unit__department_id=department_id)


# --- training ---------------------------------------------------------------------------------


def trainings_of(department_id: int | None) -> QuerySet[TrainingSession]:
    if department_id is None:
        return TrainingSession.objects.none()
    return (
        TrainingSession.objects.filter(department_id=department_id)
        .annotate(
            present=Count("attendance", filter=Q(attendance__status=Attendance.Status.PRESENT)),
            absent=Count("attendance", filter=Q(attendance__status=Attendance.Status.ABSENT)),
            excused=Count("attendance", filter=Q(attendance__status=Attendance.Status.EXCUSED)),
        )
        .order_by("-held_on", "-id")
    )


def access_training(user: User, pk: int) -> TrainingSession:
    session = TrainingSession.objects.filter(pk=pk, department_id=department_id_of(user)).first()
    if session is None:
        raise Http404
    return session


def training_attendance(session: TrainingSession) -> list[Attendance]:
    return list(
        session.attendance.select_related("officer", "unit").order_by(
            "unit__sort_order", "unit__code", "officer__full_name"
        )
    )


def training_record(officer: User) -> list[Attendance]:
    """An officer's attendance at every session recorded for them, newest first."""
    return list(
        Attendance.objects.filter(officer=officer)
        .select_related("session", "unit")
        .order_by("-session__held_on", "-session_id")
    )


@dataclass
class MissedRow:
    unit_id: int
    unit_name: str
    absent: int
    excused: int
    sessions: int


def units_missing_training(
    department: Unit, date_from: datetime.date, date_to: datetime.date
) -> list[MissedRow]:
    """Units with at least one officer absent (缺席, not excused) from a session of the period,
    most absences first. One query."""
    rows = (
        Attendance.objects.filter(
            session__department=department,
            session__held_on__gte=date_from,
            session__held_on__lte=date_to,
        )
        .values("unit_id", "unit__name", "unit__sort_order", "unit__code")
        .annotate(
            absent=Count("id", filter=Q(status=Attendance.Status.ABSENT)),
            excused=Count("id", filter=Q(status=Attendance.Status.EXCUSED)),
            sessions=Count("session", distinct=True, filter=Q(status=Attendance.Status.ABSENT)),
        )
        .filter(absent__gt=0)
        .order_by("-absent", "unit__sort_order", "unit__code")[:LACKING_LIMIT]
    )
    return [
        MissedRow(r["unit_id"], r["unit__name"], r["absent"], r["excused"], r["sessions"])
        for r in rows
    ]


# --- exemplary items --------------------------------------------------------------------------


def exemplary_visible_to(user: User) -> QuerySet[ExemplaryItem]:
    """Every officer, unit leader, editor and leader of the department reads its library (the
    adopted text and the commentary, never the item behind it); administrators none."""
    department_id = department_id_of(user)
    if department_id is None:
        return ExemplaryItem.objects.none()
    return ExemplaryItem.objects.filter(department_id=department_id)


def exemplary_search(
    user: User, *, category_id: int | None = None, keywords: str = ""
) -> QuerySet[ExemplaryItem]:
    """Filtered by category and by every keyword (folded like the search index, so 組織 finds
    组织)."""
    qs = exemplary_visible_to(user).select_related("category", "chosen_by")
    if category_id:
        qs = qs.filter(category_id=category_id)
    for word in normalize(keywords).split()[:8]:
        qs = qs.filter(search_text__contains=word)
    return qs.order_by("-chosen_at", "-id")


def access_exemplary(user: User, pk: int) -> ExemplaryItem:
    found = exemplary_visible_to(user).select_related("category", "chosen_by").filter(pk=pk)
    exemplary = found.first()
    if exemplary is None:
        raise Http404
    return exemplary


# --- portfolio --------------------------------------------------------------------------------


def access_officer(user: User, pk: int) -> User:
    """The officer whose portfolio ``user`` may open (``permissions.can_see_portfolio``);
    404 otherwise."""
    officer = (
        User.objects.filter(pk=pk, role=Role.OFFICER)
        .select_related("unit", "unit__department")
        .first()
    )
    if officer is None or not can_see_portfolio(user, officer):
        raise Http404
    return officer


def officer_items(viewer: User, officer: User) -> QuerySet[Item]:
    """The officer's items (they are an author) that ``viewer`` may see, newest first, with
    their upper-level adoptions, instructions and published entries."""
    from xinbao.publishing.models import IssueEntry

    entries = IssueEntry.objects.select_related("issue__publication").order_by("issue_id")
    return (
        items_visible_to(viewer)
        .filter(authors=officer)
        .select_related("unit", "category")
        .prefetch_related(
            "external_adoptions", "instructions", Prefetch("issue_entries", queryset=entries)
        )
        .order_by("-created_at", "-id")
    )


@dataclass
class EditedItem:
    item: Item
    pairs: list[RevisionPair]


EDITED_ITEMS = 10


def editor_changes(viewer: User, officer: User) -> list[EditedItem]:
    """The editor's changes to the officer's newest edited items (at most ``EDITED_ITEMS``),
    as revision diffs. Two queries."""
    items = list(
        items_visible_to(viewer)
        .filter(authors=officer, revisions__kind=Revision.Kind.EDITOR)
        .distinct()
        .order_by("-updated_at", "-id")[:EDITED_ITEMS]
    )
    by_item: dict[int, list[Revision]] = defaultdict(list)
    revisions = Revision.objects.filter(item__in=items).select_related("author")
    for revision in revisions.order_by("item_id", "number"):
        by_item[revision.item_id].append(revision)
    result = []
    for item in items:
        pairs = [
            p
            for p in revision_pairs(by_item[item.pk])
            if p.new.kind == Revision.Kind.EDITOR and p.changed
        ]
        if pairs:
            result.append(EditedItem(item, pairs))
    return result


@dataclass
class YearFigures:
    points: Decimal = Decimal(0)
    adopted: int = 0
    high_level: int = 0
    instructions: int = 0


def officer_year_figures(
    officer_ids: Iterable[int], years: Iterable[int]
) -> dict[tuple[int, int], YearFigures]:
    """OFFICER ATTRIBUTION HOOK: points, adopted items, high-level adoptions and instructions
    of each officer and year, from the scoring ledger. One query.

    The ledger (``scoring.ScoreEntry``) is kept per unit; an officer's share is derived here by
    item authorship: every line with an item counts for each of the item's authors (an item
    with two authors gives both its full points). Unit-level lines without an item (quotas,
    year-wide deductions) belong to the unit only. When scoring gains its own officer
    attribution, replace the body of this function; every page and the API read through it."""
    from xinbao.scoring.models import FactType, ScoreEntry

    ids, years = list(officer_ids), list(years)
    result: dict[tuple[int, int], YearFigures] = {}
    if not ids or not years:
        return result
    adoption = Q(fact_type=FactType.ADOPTION, points__gt=0)
    rows = (
        ScoreEntry.objects.filter(item__authors__in=ids, year__in=years)
        .values("item__authors", "year")
        .annotate(
            total=Sum("points"),
            adopted=Count("item", filter=adoption, distinct=True),
            high=Count("item", filter=adoption & Q(level__in=HIGH_LEVELS), distinct=True),
            instructions=Count("id", filter=Q(fact_type=FactType.INSTRUCTION)),
        )
        .order_by()
    )
    for row in rows:
        result[(row["item__authors"], row["year"])] = YearFigures(
            points=row["total"] or Decimal(0),
            adopted=row["adopted"],
            high_level=row["high"],
            instructions=row["instructions"],
        )
    return result


@dataclass
class UnitClassRank:
    rank: int
    of: int
    points: Decimal


def officer_class_rank(officer: User, year: int) -> UnitClassRank | None:
    """The officer's place among the active officers of units of the same class (乡镇, 部门…)
    of their department, by points in ``year`` (``officer_year_figures``). Two queries."""
    unit = officer.unit
    if unit is None or unit.department_id is None:
        return None
    peers = list(
        User.objects.filter(
            role=Role.OFFICER,
            is_active=True,
            unit__department_id=unit.department_id,
            unit__assessment_class=unit.effective_class,
        ).values_list("pk", flat=True)
    )
    if officer.pk not in peers:
        peers.append(officer.pk)
    figures = officer_year_figures(peers, [year])
    points = {pk: figures.get((pk, year), YearFigures()).points for pk in peers}
    mine = points[officer.pk]
    return UnitClassRank(
        rank=1 + sum(1 for p in points.values() if p > mine), of=len(peers), points=mine
    )


@dataclass
class CompareRow:
    officer: User
    by_year: list[YearFigures] = field(default_factory=list)

    @property
    def total_points(self) -> Decimal:
        return sum((f.points for f in self.by_year), Decimal(0))


def officer_comparison(department: Unit, years: list[int], kind: str = "") -> list[CompareRow]:
    """Officer × year table for a department (points, adopted, high-level), officers with the
    most points over the years first. Two queries whatever the number of officers."""
    qs = User.objects.filter(role=Role.OFFICER, unit__department=department).select_related("unit")
    if kind:
        qs = qs.filter(unit__kind=kind)
    officers = list(qs.order_by("unit__sort_order", "unit__code", "full_name", "id"))
    figures = officer_year_figures([o.pk for o in officers], years)
    rows = [CompareRow(o, [figures.get((o.pk, y), YearFigures()) for y in years]) for o in officers]
    rows.sort(key=lambda r: -r.total_points)  # stable: tree order among equals
    return rows
