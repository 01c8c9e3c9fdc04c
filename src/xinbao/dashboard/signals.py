"""Invalidate cached dashboards when facts change: each save or delete of a fact bumps the
version of its department (or the global version) once the transaction commits
(``dashboard.cache``). Bulk writes (``bulk_create``, ``QuerySet.update``) send no signals: code
that writes facts in bulk calls ``dashboard.cache.bump()`` afterwards (the benchmark does); the
ledger, rewritten in bulk, is covered by its own stamp in the version."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from xinbao.dashboard.cache import bump


def _department_of(instance: Model) -> int | None:
    for name in ("department_id", "from_department_id"):
        value = getattr(instance, name, None)
        if isinstance(value, int):
            return value
    item_id = getattr(instance, "item_id", None)
    if item_id is None:
        return None
    item = instance._state.fields_cache.get("item")
    if item is not None:
        return int(item.department_id)
    from xinbao.items.models import Item

    return Item.objects.filter(pk=item_id).values_list("department_id", flat=True).first()


def fact_changed(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    department_id = _department_of(instance)
    transaction.on_commit(lambda: bump(department_id))


def global_change(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    transaction.on_commit(bump)


def connect() -> None:
    from xinbao.items.models import Item, ItemEvent
    from xinbao.publishing.models import (
        ExternalAdoption,
        Forwarding,
        Instruction,
        IssueEntry,
        PublicationIssue,
    )
    from xinbao.scoring.models import ManualAdjustment, RuleSet
    from xinbao.topics.models import KeyWorkArea, KeyWorkTag, Timeliness, Topic

    per_department = (
        Item,
        ItemEvent,
        ExternalAdoption,
        Forwarding,
        Instruction,
        IssueEntry,
        KeyWorkTag,
        KeyWorkArea,
        Timeliness,  # rewritten by ``xinbao rebuild_timeliness`` without an event
        Topic,
        RuleSet,
        ManualAdjustment,
    )
    for model in per_department:
        uid = f"dashboard.{model.__name__}"
        post_save.connect(fact_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(fact_changed, sender=model, dispatch_uid=f"{uid}.delete")
    post_save.connect(global_change, sender=PublicationIssue, dispatch_uid="dashboard.issue.save")
