"""Urgency clocks and timeliness (时效): how fast each item went from the event to the editor and
on through the workflow, and how the clocks read now.

Every ``Timeliness`` row is derived from the item and its ``ItemEvent`` rows by
``timeliness_refresh`` alone, so it can be rebuilt at any time (``xinbao rebuild_timeliness``,
needed after timestamps are rewritten, as the demo data does):

- ``submitted_at``: the first time the item reached the department (an event into ``submitted``);
- ``first_action``: the editor's first ``start_review``, ``return``, ``adopt`` or ``decline``;
- the editor's clock runs from the last arrival before that first action (an item withdrawn and
  sent again restarts it);
- ``adopted_at``: the ``adopt`` event.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.items.models import Item, ItemEvent, State
from xinbao.topics.models import Timeliness

if TYPE_CHECKING:
    from xinbao.orgs.models import Unit

FIRST_ACTIONS = frozenset({"start_review", "return", "adopt", "decline"})
# Items that may be waiting for the editor's first action.
WAITING_STATES = frozenset({State.SUBMITTED})


def urgency_limits(urgency: int) -> tuple[datetime.timedelta, datetime.timedelta] | None:
    """(event → reaching the editor, reaching the editor → first action) for urgent items."""
    limits: dict[int, tuple[datetime.timedelta, datetime.timedelta]] = (
        settings.XINBAO_URGENCY_LIMITS
    )
    return limits.get(int(urgency))


def event_moment(item: Item) -> tuple[datetime.datetime | None, bool]:
    """The event's moment and whether it is exact (a time) or the start of the event's day."""
    if item.event_time is not None:
        return item.event_time, True
    if item.event_date is not None:
        start = datetime.datetime.combine(item.event_date, datetime.time.min)
        return timezone.make_aware(start), False
    return None, False


def event_day(item: Item) -> datetime.date | None:
    if item.event_time is not None:
        return timezone.localdate(item.event_time)
    return item.event_date


def affects_timeliness(event: ItemEvent) -> bool:
    """Whether recording ``event`` can change the item's timeliness (arrivals, first actions)."""
    return event.to_state == State.SUBMITTED or event.action in FIRST_ACTIONS


def timeliness_fields(item: Item, events: Sequence[ItemEvent]) -> dict[str, Any] | None:
    """The ``Timeliness`` fields for ``item`` given its events in order; ``None`` if the item
    never reached the department."""
    arrivals: list[datetime.datetime] = []
    first_action: ItemEvent | None = None
    clocked: datetime.datetime | None = None
    adopted_at: datetime.datetime | None = None
    for event in events:
        if event.to_state == State.SUBMITTED and first_action is None:
            arrivals.append(event.created_at)
        if event.action in FIRST_ACTIONS and first_action is None and arrivals:
            first_action = event
            clocked = arrivals[-1]
        if event.action == "adopt" and adopted_at is None:
            adopted_at = event.created_at
    if not arrivals:
        return None
    submitted_at = arrivals[0]
    clocked = clocked or arrivals[-1]
    event_at, precise = event_moment(item)
    day = event_day(item)
    lag = (timezone.localdate(submitted_at) - day).days if day is not None else None
    limits = urgency_limits(item.urgency)
    return {
        "urgency": item.urgency,
        "event_at": event_at,
        "event_precise": precise,
        "submitted_at": submitted_at,
        "first_action": first_action.action if first_action else "",
        "first_action_at": first_action.created_at if first_action else None,
        "adopted_at": adopted_at,
        "to_submit": max(submitted_at - event_at, datetime.timedelta(0)) if event_at else None,
        "to_first_action": first_action.created_at - clocked if first_action else None,
        "to_adoption": adopted_at - submitted_at if adopted_at else None,
        "report_lag_days": lag,
        "late_report": lag is not None and lag > settings.XINBAO_LATE_REPORT_DAYS,
        "submit_due_at": event_at + limits[0] if limits and event_at and precise else None,
        "act_due_at": clocked + limits[1] if limits else None,
    }


def timeliness_refresh(item: Item) -> Timeliness | None:
    """Recompute and store the item's timeliness from its events (idempotent). Keeps
    ``escalated_at``: an escalation, once sent, stays sent."""
    events = list(
        ItemEvent.objects.filter(item_id=item.pk)
        .order_by("created_at", "id")
        .only("action", "to_state", "created_at")
    )
    fields = timeliness_fields(item, events)
    if fields is None:
        Timeliness.objects.filter(item_id=item.pk).delete()
        return None
    # Not ``update_or_create`` (a savepoint, a locking read and another savepoint to insert):
    # the writer of an item's events holds the item's row, so one read and one write do. Only
    # the fields that changed are written (``escalated_at`` stays as it is), so watchers see
    # what changed (``scoring.signals``: the clocks after arrival are not the ledger's).
    record = Timeliness.objects.filter(item_id=item.pk).first()
    if record is None:
        record = Timeliness(item_id=item.pk, **fields)
        record.save(force_insert=True)
        return record
    changed = [name for name, value in fields.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, fields[name])
    record.save(update_fields=[*changed, "computed_at"])
    return record


def timeliness_rebuild(items: Iterable[Item] | None = None) -> int:
    """Recompute every item's timeliness (or those given); returns how many have a record."""
    qs = items if items is not None else Item.objects.exclude(submitted_at=None).iterator()
    count = 0
    for item in qs:
        with transaction.atomic():
            count += timeliness_refresh(item) is not None
    return count


# ----------------------------------------------------------------------------------------------
# Clocks as text
# ----------------------------------------------------------------------------------------------


def remaining_text(due: datetime.datetime, now: datetime.datetime, *, late: str) -> str:
    """ "剩 2 天 3 小时" / "剩 25 分钟", or ``late`` with the time past ("已逾期 1 天")."""
    seconds = (due - now).total_seconds()
    if seconds >= 0:
        return _("剩 %(span)s") % {"span": span_text(seconds)}
    return _("%(late)s %(span)s") % {"late": late, "span": span_text(-seconds, coarse=True)}


def span_text(seconds: float, *, coarse: bool = False) -> str:
    """A span in days and hours, hours and minutes, or minutes (rounded up to a whole minute).
    ``coarse`` drops the hours from days (for times past: "已逾期 1 天", not "1 天 2 小时")."""
    minutes = max(1, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        if coarse or not hours:
            return _("%(d)d 天") % {"d": days}
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        if not mins:
            return _("%(h)d 小时") % {"h": hours}
        return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": mins}
    return _("%(m)d 分钟") % {"m": mins}


def duration_text(value: datetime.timedelta | None) -> str:
    if value is None:
        return "—"
    return span_text(value.total_seconds())


@dataclass(frozen=True)
class Clock:
    """How an urgent item's editor clock reads now."""

    due: datetime.datetime
    overdue: bool
    text: str


def editor_clock(item: Item, now: datetime.datetime) -> Clock | None:
    """The clock of an urgent item waiting for the editor's first action.

    With the item's ``Timeliness`` loaded (``select_related("timeliness")``, as the inbox does)
    it reads the stored due moment, and shows nothing once the first action happened (an item
    returned and sent again is past its first action). Without it, it reads the row alone: the
    arrival (``submitted_at``) plus the urgency's limit. Never queries.
    """
    limits = urgency_limits(item.urgency)
    if limits is None or item.state not in WAITING_STATES or item.submitted_at is None:
        return None
    due = item.submitted_at + limits[1]
    if Item.timeliness.is_cached(item):
        try:
            record = item.timeliness
        except Timeliness.DoesNotExist:
            record = None
        if record is not None and record.first_action_at is not None:
            return None
        if record is not None and record.act_due_at is not None:
            due = record.act_due_at
    return Clock(due=due, overdue=now > due, text=remaining_text(due, now, late=_("超时")))


# ----------------------------------------------------------------------------------------------
# Per-unit summary
# ----------------------------------------------------------------------------------------------


@dataclass
class UnitTimeliness:
    unit: Unit
    items: int = 0
    late_reports: int = 0
    urgent: int = 0
    urgent_late: int = 0
    to_submit: list[datetime.timedelta] = field(default_factory=list)
    to_first_action: list[datetime.timedelta] = field(default_factory=list)

    @property
    def submit_median(self) -> datetime.timedelta | None:
        return median(self.to_submit)

    @property
    def submit_p90(self) -> datetime.timedelta | None:
        return percentile(self.to_submit, 90)

    @property
    def action_median(self) -> datetime.timedelta | None:
        return median(self.to_first_action)

    @property
    def action_p90(self) -> datetime.timedelta | None:
        return percentile(self.to_first_action, 90)


def median(values: Sequence[datetime.timedelta]) -> datetime.timedelta | None:
    if not values:
        return None
    seconds = statistics.median(v.total_seconds() for v in values)
    return datetime.timedelta(seconds=round(seconds))


def percentile(values: Sequence[datetime.timedelta], p: int) -> datetime.timedelta | None:
    """The nearest-rank percentile: the smallest value with at least p% of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
