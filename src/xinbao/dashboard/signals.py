"""Keep the dashboards current when facts change. Each save or delete of a fact notes what
changed (no query at that moment); after the transaction commits, ``flush`` resolves the notes
to units and notes them for the department's background refresh (``scoring.pending``), whose
task rewrites those units' monthly cells (``aggregates.units_refresh``) and then makes the
cached figures of the department stale (``cache.bump``), in that order, so no request can
cache figures computed from the old cells after the bump.

Watched: items, their events, timeliness, upper-level adoptions, issue entries and published
issues, instructions, key-work tags and areas, item reviews (参阅类, rubric); the units are the
item's and those of the items it is paired with as near-duplicates (the pairs are rewritten in
bulk, in the item's transaction). Topics, rule sets and deductions only make the cache stale
(points are read from the ledger's tallies, which carry their own stamp in ``cache.version``).
Bulk writes (``bulk_create``, ``QuerySet.update``) send no signals: code that writes facts in
bulk calls ``aggregates.department_build`` (``xinbao dashboard_rebuild``) and ``cache.bump()``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.db.models.signals import post_delete, post_save

from xinbao.commit_notes import CommitNotes, Token


def note(*token: Any) -> None:
    """Remember what changed (no query here: saving a fact costs nothing more) and resolve it
    after the transaction commits (``flush``)."""
    _notes.add(*token)


def flush() -> None:
    """After commit: hand what this thread noted, for the dashboards and the ledger alike, to
    the departments' background refresh (``scoring.pending.flush_noted``), whose task rewrites
    the cells and then bumps the department's cache."""
    from xinbao.scoring import pending

    pending.flush_noted()


def noted_rows() -> tuple[set[Any], bool]:
    """Take every change noted so far and resolve it to units (a few indexed queries): the
    dashboard rows of ``scoring.pending``, and whether a change of no known department must
    bump every cache."""
    from xinbao.scoring import pending

    tokens = _notes.take()
    rows: set[pending.Row] = set()
    if not tokens:
        return rows, False
    everyone = False
    items = sorted({token[1] for token in tokens if token[0] == "item"})
    resolved = _item_units(items) if items else []
    for token in sorted(tokens, key=repr):
        resolved += _resolve(token)
    for department_id, unit_id in resolved:
        if department_id is None:
            everyone = True
        else:  # unit 0: only the cached figures (bumped by the task after the ledger's refresh)
            rows.add((pending.Kind.DASHBOARD, department_id, 0, unit_id or 0))
    return rows, everyone


def _item_units(item_ids: list[int]) -> list[tuple[int | None, int | None]]:
    """(department, unit) of the items and of the items paired with them as near-duplicates
    (two queries for any number of items)."""
    from xinbao.items.models import Item
    from xinbao.search.models import SimilarPair

    partners = SimilarPair.objects.filter(Q(item_id__in=item_ids) | Q(other_id__in=item_ids))
    related = {*item_ids}
    for a, b in partners.values_list("item_id", "other_id"):
        related.update((a, b))
    return list(
        Item.objects.filter(pk__in=sorted(related))
        .values_list("department_id", "unit_id")
        .distinct()
    )


def _resolve(token: Token) -> list[tuple[int | None, int | None]]:
    from xinbao.publishing.models import IssueEntry
    from xinbao.topics.models import KeyWorkArea, KeyWorkTag

    kind = token[0]
    if kind == "unit":
        return [(token[1], token[2])]
    if kind == "issue":
        items = IssueEntry.objects.filter(issue_id=token[1]).values_list("item_id", flat=True)
        return [(None, None), *_item_units(sorted(set(items)))]
    if kind == "area":
        department_id, area_id = token[1], token[2]
        parent_of = dict(
            KeyWorkArea.objects.filter(department_id=department_id).values_list("pk", "parent_id")
        )
        subtree = {area_id}
        for pk in parent_of:
            node: int | None = pk
            seen: set[int] = set()
            while node is not None and node not in seen:
                seen.add(node)
                if node == area_id:
                    subtree.add(pk)
                    break
                node = parent_of.get(node)
        tagged = KeyWorkTag.objects.filter(area_id__in=sorted(subtree))
        units = tagged.values_list("item__unit_id", flat=True).distinct()
        return [(department_id, None), *((department_id, u) for u in units)]
    if kind == "department":
        return [(token[1], None)]
    return []


def item_changed(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    if sender.__name__ == "Item":
        note("unit", instance.department_id, instance.unit_id)
        note("item", instance.pk)
    else:
        note("item", instance.item_id)


def issue_changed(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        note("issue", instance.pk)


def area_changed(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        note("area", instance.department_id, instance.pk)


def department_changed(
    sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        note("department", getattr(instance, "department_id", None))


def connect() -> None:
    from xinbao.items.models import Item, ItemEvent
    from xinbao.publishing.models import (
        ExternalAdoption,
        Forwarding,
        Instruction,
        IssueEntry,
        PublicationIssue,
    )
    from xinbao.scoring.models import ItemReview, ManualAdjustment, RuleSet
    from xinbao.topics.models import KeyWorkArea, KeyWorkTag, Timeliness, Topic

    handlers: list[tuple[Any, Any]] = [
        (Item, item_changed),
        (ItemEvent, item_changed),
        (ExternalAdoption, item_changed),
        (Forwarding, item_changed),
        (Instruction, item_changed),
        (IssueEntry, item_changed),
        (KeyWorkTag, item_changed),
        (Timeliness, item_changed),  # rewritten by ``xinbao rebuild_timeliness``, no event
        (ItemReview, item_changed),
        (PublicationIssue, issue_changed),
        (KeyWorkArea, area_changed),
        (Topic, department_changed),
        (RuleSet, department_changed),
        (ManualAdjustment, department_changed),
    ]
    for model, handler in handlers:
        uid = f"dashboard.{model.__name__}"
        post_save.connect(handler, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(handler, sender=model, dispatch_uid=f"{uid}.delete")


_notes = CommitNotes(flush)
