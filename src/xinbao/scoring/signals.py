"""Incremental ledger updates: a change to a fact marks the unit-years it affects; after the
transaction commits they are noted for the department's background refresh
(``scoring.pending``), whose task runs ``ledger.refresh`` for only those units' rows of those
years (``ledger.rebuild`` for a year whose rule set changed).

Facts watched: published issue entries and their issues, upper-level adoptions, instructions,
topic targets and topics, ``ItemReview`` and ``ManualAdjustment`` rows, a unit's assessment
class (``services.unit_classes_set``: every year with a rule set), the rule set itself
(``services.ruleset_save``: its whole year is rebuilt), items (submission time,
body length: quotas and the quality bar), their co-units, and urgent items' ``Timeliness``. The
affected units are the item's unit and its co-units (a joint item's shares), or the target's or
deduction's unit. A fact moved into another year changes the year it is in now; ``xinbao ledger
rebuild`` realigns everything else (and closes periods as the calendar moves on).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from xinbao.commit_notes import CommitNotes, Token
from xinbao.items.models import Item


def note(*token: Any) -> None:
    """Remember what changed (no query here: saving a fact costs nothing more) and resolve it
    after the transaction commits (``flush``)."""
    _notes.add(*token)


def flush() -> None:
    """After commit: hand what this thread noted, for the ledger and the dashboards alike, to
    the departments' background refresh (``scoring.pending.flush_noted``)."""
    from xinbao.scoring import pending

    pending.flush_noted()


def noted_rows() -> set[Any]:
    """Take every change noted so far and resolve it to ledger rows of ``scoring.pending`` (a
    few indexed queries per change): the ledger is recomputed by the task, not in the request."""
    from xinbao.scoring import pending

    tokens = _notes.take()
    rows: set[pending.Row] = set()
    for token in sorted(tokens, key=repr):
        if token[0] == "ruleset":  # the whole year is recomputed
            rows.add((pending.Kind.LEDGER, token[1], token[2], 0))
            continue
        for dept_id, year, units in _resolve(token):
            if dept_id is not None and year is not None:
                rows.update((pending.Kind.LEDGER, dept_id, year, unit) for unit in units if unit)
    return rows


Marks = list[tuple[int | None, int | None, set[int]]]


def _item_marks(
    item_id: int, years: Iterable[int | None] | None, extra: Iterable[int] = ()
) -> Marks:
    """The item's department, unit and co-units for ``years`` (None: every year the item
    matters to: submitted, carried, adopted upstairs)."""
    from django.db.models import DateField, DateTimeField, IntegerField, QuerySet, Value
    from django.db.models.functions import Cast

    from xinbao.publishing.models import ExternalAdoption, IssueEntry

    # One query for the four reads: (part, number, unit, submitted, adopted) rows, of which
    # part 0 is the item's (department, unit, submission), 1 a co-unit, 2 the year of an issue
    # that carries it, 3 the day of an upper-level adoption (those two only with ``years``
    # None).
    # Typed NULLs: PostgreSQL matches a UNION's column types branch by branch.
    none_int = Cast(Value(None), output_field=IntegerField())
    none_day = Cast(Value(None), output_field=DateField())
    none_time = Cast(Value(None), output_field=DateTimeField())
    parts: list[QuerySet[Any, Any]] = [
        Item.co_units.through.objects.filter(item_id=item_id)
        .order_by()
        .values_list(Value(1), "unit_id", none_int, none_time, none_day)
    ]
    if years is None:
        parts.append(
            IssueEntry.objects.filter(item_id=item_id)
            .order_by()
            .values_list(Value(2), "issue__year", none_int, none_time, none_day)
        )
        parts.append(
            ExternalAdoption.objects.filter(item_id=item_id)
            .order_by()
            .values_list(Value(3), none_int, none_int, none_time, "adopted_on")
        )
    found_rows = list(
        Item.objects.filter(pk=item_id)
        .order_by()
        .values_list(Value(0), "department_id", "unit_id", "submitted_at", none_day)
        .union(*parts, all=True)
    )
    row = next(((r[1], r[2], r[3]) for r in found_rows if r[0] == 0), None)
    if row is None:
        return []
    units = {row[1], *extra, *(r[1] for r in found_rows if r[0] == 1)}
    if years is None:
        found = {_local_year(row[2])}
        found |= {r[1] for r in found_rows if r[0] == 2}
        found |= {r[4].year for r in found_rows if r[0] == 3}
        years = found
    return [(row[0], year, units) for year in sorted(y for y in years if y is not None)]


def _resolve(token: Token) -> Marks:
    from xinbao.publishing.models import IssueEntry, PublicationIssue
    from xinbao.scoring.models import RuleSet
    from xinbao.topics.models import Topic, TopicTarget

    kind = token[0]
    if kind == "item":
        return _item_marks(token[1], token[2], token[3])
    if kind == "entry":
        year = PublicationIssue.objects.filter(pk=token[1]).values_list("year", flat=True).first()
        return _item_marks(token[2], [year])
    if kind == "issue":
        year = PublicationIssue.objects.filter(pk=token[1]).values_list("year", flat=True).first()
        items = IssueEntry.objects.filter(issue_id=token[1]).values_list("item_id", flat=True)
        return [mark for item_id in sorted(set(items)) for mark in _item_marks(item_id, [year])]
    if kind == "target":
        row = Topic.objects.filter(pk=token[1]).values_list("department_id", "deadline").first()
        return [(row[0], _local_year(row[1]), {token[2]})] if row is not None else []
    if kind == "topic":
        row = Topic.objects.filter(pk=token[1]).values_list("department_id", "deadline").first()
        units = set(TopicTarget.objects.filter(topic_id=token[1]).values_list("unit_id", flat=True))
        return [(row[0], _local_year(row[1]), units)] if row is not None else []
    if kind == "unit":
        return [(token[1], token[2], {token[3]})]
    if kind == "unit_years":  # the unit's assessment class: every year with a rule set
        years = RuleSet.objects.filter(department_id=token[1]).values_list("year", flat=True)
        return [(token[1], year, {token[2]}) for year in sorted(years)]
    return []


def _local_year(value: datetime.datetime | None) -> int | None:
    return timezone.localtime(value).year if value is not None else None


def _on_entry(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("entry", instance.issue_id, instance.item_id)


def _on_issue(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("issue", instance.pk)


def _on_external(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("item", instance.item_id, (instance.adopted_on.year,), ())


def _on_instruction(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("item", instance.item_id, (instance.instructed_on.year,), ())


def _on_target(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("target", instance.topic_id, instance.unit_id)


def _on_topic(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("topic", instance.pk)


def _on_adjustment(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("unit", instance.department_id, instance.year, instance.unit_id)


def _on_review(sender: Any, instance: Any, **kwargs: Any) -> None:
    note("item", instance.item_id, None, ())


# Saves of only these fields change nothing the ledger reads (an item's workflow state, a
# timeliness record's clocks after arrival): they note no work.
ITEM_FIELDS_NOT_READ = frozenset({"state", "decided_at", "updated_at", "secrecy_findings"})
TIMELINESS_FIELDS_READ = frozenset({"item", "item_id", "submitted_at", "submit_due_at"})


def _on_item(
    sender: Any, instance: Item, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    if update_fields is not None and set(update_fields) <= ITEM_FIELDS_NOT_READ:
        return
    if instance.submitted_at is not None:
        note("item", instance.pk, None, ())


def _on_timeliness(
    sender: Any, instance: Any, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    if update_fields is not None and not TIMELINESS_FIELDS_READ & set(update_fields):
        return
    note("item", instance.item_id, None, ())


def _on_co_units(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if not isinstance(instance, Item) or instance.submitted_at is None:
        return
    if action == "pre_clear":
        removed = tuple(instance.co_units.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        removed = tuple(sorted(pk_set or ()))
    else:
        return
    note("item", instance.pk, None, removed)


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


_notes = CommitNotes(flush)
