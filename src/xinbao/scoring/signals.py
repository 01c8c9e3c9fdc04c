"""Incremental ledger updates: a change to a fact marks the unit-years it affects, and after the
transaction commits ``ledger.refresh`` recomputes only those units' rows of those years.

Facts watched: published issue entries and their issues, upper-level adoptions, instructions,
topic targets and topics, ``ItemReview`` and ``ManualAdjustment`` rows, items (submission time,
body length: quotas and the quality bar), their co-units, and urgent items' ``Timeliness``. The
affected units are the item's unit and its co-units (a joint item's shares), or the target's or
deduction's unit. A fact moved into another year changes the year it is in now; ``xinbao ledger
rebuild`` realigns everything else (and closes periods as the calendar moves on).
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from xinbao.items.errors import ItemError
from xinbao.items.models import Item
from xinbao.orgs.models import Unit

logger = logging.getLogger(__name__)
_state = threading.local()


def _pending() -> dict[tuple[int, int], set[int]]:
    if not hasattr(_state, "pending"):
        _state.pending = {}
    pending: dict[tuple[int, int], set[int]] = _state.pending
    return pending


def mark(department_id: int | None, year: int | None, units: Iterable[int]) -> None:
    """Schedule a refresh of ``units``' rows of ``department_id``'s ``year`` after commit."""
    if department_id is None or year is None:
        return
    _pending().setdefault((department_id, year), set()).update(units)
    transaction.on_commit(flush)


def flush() -> None:
    """Refresh every marked unit-year (once each, however many facts changed)."""
    from xinbao.scoring import ledger

    work, _state.pending = _pending(), {}
    departments = Unit.objects.in_bulk({dept_id for dept_id, _year in work})
    for (dept_id, year), units in sorted(work.items()):
        department = departments.get(dept_id)
        if department is None or not units:
            continue
        try:
            ledger.refresh(department, year, units)
        except ItemError:  # an invalid rule set: the editor sees it on the ranking page
            logger.warning("ledger refresh skipped for %s %s", dept_id, year, exc_info=True)


def mark_item(item_id: int | None, year: int | None, extra: Iterable[int] = ()) -> None:
    if item_id is None:
        return
    row = Item.objects.filter(pk=item_id).values_list("department_id", "unit_id").first()
    if row is None:
        return
    through = Item.co_units.through
    co = through.objects.filter(item_id=item_id).values_list("unit_id", flat=True)
    mark(row[0], year, {row[1], *co, *extra})


def _local_year(value: datetime.datetime | None) -> int | None:
    return timezone.localtime(value).year if value is not None else None


def _on_entry(sender: Any, instance: Any, **kwargs: Any) -> None:
    from xinbao.publishing.models import PublicationIssue

    issue = PublicationIssue.objects.filter(pk=instance.issue_id).values_list("year", flat=True)
    mark_item(instance.item_id, issue.first())


def _on_issue(sender: Any, instance: Any, **kwargs: Any) -> None:
    for item_id in instance.entries.values_list("item_id", flat=True).order_by("item_id"):
        mark_item(item_id, instance.year)


def _on_external(sender: Any, instance: Any, **kwargs: Any) -> None:
    mark_item(instance.item_id, instance.adopted_on.year)


def _on_instruction(sender: Any, instance: Any, **kwargs: Any) -> None:
    mark_item(instance.item_id, instance.instructed_on.year)


def _on_target(sender: Any, instance: Any, **kwargs: Any) -> None:
    from xinbao.topics.models import Topic

    topic = Topic.objects.filter(pk=instance.topic_id).values_list("department_id", "deadline")
    row = topic.first()
    if row is not None:
        mark(row[0], _local_year(row[1]), {instance.unit_id})


def _on_topic(sender: Any, instance: Any, **kwargs: Any) -> None:
    units = list(instance.targets.values_list("unit_id", flat=True)) if instance.pk else []
    if units:
        mark(instance.department_id, _local_year(instance.deadline), units)


def _on_adjustment(sender: Any, instance: Any, **kwargs: Any) -> None:
    mark(instance.department_id, instance.year, {instance.unit_id})


def _on_review(sender: Any, instance: Any, **kwargs: Any) -> None:
    item = Item.objects.filter(pk=instance.item_id).values_list("submitted_at", flat=True)
    submitted_at = item.first()
    _mark_item_years(instance.item_id, submitted_at)


def _mark_item_years(item_id: int, submitted_at: datetime.datetime | None) -> None:
    """An item's own change: the year it was submitted and the years it was carried."""
    from xinbao.publishing.models import ExternalAdoption, IssueEntry

    years = {_local_year(submitted_at)}
    years |= set(IssueEntry.objects.filter(item_id=item_id).values_list("issue__year", flat=True))
    years |= {
        d.year
        for d in ExternalAdoption.objects.filter(item_id=item_id).values_list(
            "adopted_on", flat=True
        )
    }
    for year in sorted(y for y in years if y is not None):
        mark_item(item_id, year)


def _on_item(sender: Any, instance: Item, created: bool = False, **kwargs: Any) -> None:
    if instance.submitted_at is not None:
        _mark_item_years(instance.pk, instance.submitted_at)


def _on_timeliness(sender: Any, instance: Any, **kwargs: Any) -> None:
    mark_item(instance.item_id, _local_year(instance.submitted_at))


def _on_co_units(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if not isinstance(instance, Item) or instance.submitted_at is None:
        return
    if action == "pre_clear":
        removed = set(instance.co_units.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        removed = set(pk_set or ())
    else:
        return
    years = {_local_year(instance.submitted_at)}
    from xinbao.publishing.models import IssueEntry

    years |= set(IssueEntry.objects.filter(item=instance).values_list("issue__year", flat=True))
    for year in sorted(y for y in years if y is not None):
        mark_item(instance.pk, year, removed)


def connect() -> None:
    from xinbao.publishing.models import (
        ExternalAdoption,
        Instruction,
        IssueEntry,
        PublicationIssue,
    )
    from xinbao.scoring.models import ItemReview, ManualAdjustment
    from xinbao.topics.models import Timeliness, Topic, TopicTarget

    handlers: list[tuple[type, Any]] = [
        (IssueEntry, _on_entry),
        (PublicationIssue, _on_issue),
        (ExternalAdoption, _on_external),
        (Instruction, _on_instruction),
        (TopicTarget, _on_target),
        (Topic, _on_topic),
        (ManualAdjustment, _on_adjustment),
        (ItemReview, _on_review),
        (Item, _on_item),
        (Timeliness, _on_timeliness),
    ]
    for model, handler in handlers:
        uid = f"scoring-{model.__name__}"
        post_save.connect(handler, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(handler, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(_on_co_units, sender=Item.co_units.through, dispatch_uid="scoring-co")
