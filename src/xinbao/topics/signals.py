"""Keep topic answers and timeliness in step with the workflow, inside the transaction of the
move that changes them, so the items app need not know about topics:

- a recorded move (``ItemEvent`` created by ``items.services.transition``) of an item linked to
  a topic refreshes that topic's target for the item's unit (answered, adopted, outcome);
- a move that can change timeliness (an arrival at the department, the editor's first action)
  refreshes the item's ``Timeliness``;
- a full save of an item past the unit (the editor correcting the event time or urgency)
  refreshes its ``Timeliness`` too. Workflow saves (``update_fields``) are covered by the event.

Bulk writes (``bulk_create``, ``QuerySet.update``) send no signals: code that rewrites events
or timestamps in bulk must run ``xinbao rebuild_timeliness`` afterwards.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from xinbao.items.models import Item, ItemEvent, State

UNSENT = frozenset({State.DRAFT, State.PENDING_SIGNOFF})


def event_recorded(
    sender: type[ItemEvent], instance: ItemEvent, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not created:
        return
    from xinbao.topics.services import ANSWER_ACTIONS, do_target_refresh
    from xinbao.topics.timeliness import affects_timeliness, timeliness_refresh

    item = instance.item
    if item.topic_id is not None and instance.action in ANSWER_ACTIONS:
        do_target_refresh(topic_id=item.topic_id, unit_id=item.unit_id)
    if affects_timeliness(instance):
        timeliness_refresh(item)


def item_saved(
    sender: type[Item],
    instance: Item,
    created: bool,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw or created or update_fields is not None or instance.state in UNSENT:
        return
    from xinbao.topics.timeliness import timeliness_refresh

    timeliness_refresh(instance)


def connect() -> None:
    post_save.connect(event_recorded, sender=ItemEvent, dispatch_uid="topics.event_recorded")
    post_save.connect(item_saved, sender=Item, dispatch_uid="topics.item_saved")
