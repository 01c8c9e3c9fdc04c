"""Keep the indexes in step with items, inside the transaction that changes them.

Full-text index (``search.index``):
- an item saved with its text (title, body, keywords) is reindexed; a save that only touches
  other fields (``update_fields`` without them: the workflow's state changes) is not, but when
  it touches a field visibility reads (state, unit, department) that copy on the entry is
  updated (``index.scope_sync``), so search filters by the same fields as the lists;
- an attachment saved has its text extracted once (``AttachmentText``) and its item reindexed;
  an attachment deleted reindexes its item, unless the item itself is being deleted;
- an item deleted takes its ``SearchDocument`` with it (``on_delete=CASCADE``), and with that row
  its backend index entry.

Near-duplicate index (``search.duplicates``): an item saved with its text, moved into a
state of ``DUPLICATE_CHECK_STATES`` (submitted, resubmitted, withdrawn), or whose attachments
are saved or deleted (their extracted text is compared too) is rechecked: its signature, bands,
similar pairs and novelty are rewritten. Deleting an item cascades to its rows.

Bulk writes (``QuerySet.update``, ``bulk_create``) send no signals: code that uses them for item
text must call ``search.index.index_item`` (for state, unit or department
``search.index.scope_sync``) or leave it to ``xinbao reindex``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete

from xinbao.items.models import Attachment, Item, State

INDEXED_FIELDS = frozenset({"title", "body", "keywords"})
SCOPE_FIELDS = frozenset({"state", "unit", "unit_id", "department", "department_id"})
# A move into one of these states (submission, resubmission, withdrawal, a refused sign-off)
# rechecks the item for near-duplicates: its pairs, same-event links and novelty depend on
# whether and when it was submitted.
DUPLICATE_CHECK_STATES = frozenset(
    {State.DRAFT, State.PENDING_SIGNOFF, State.SUBMITTED, State.RESUBMITTED}
)
_items_being_deleted: ContextVar[frozenset[int]] = ContextVar(
    "items_being_deleted", default=frozenset()
)


def item_saved(
    sender: type[Item],
    instance: Item,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw:
        return
    from xinbao.search.index import attachment_texts_of

    text_changed = update_fields is None or bool(INDEXED_FIELDS & set(update_fields))
    recheck = text_changed or (
        "state" in (update_fields or ()) and instance.state in DUPLICATE_CHECK_STATES
    )
    # The attachments' text, read once for both indexes (a new item has none).
    texts: list[str] | None = [] if kwargs.get("created") else None
    if texts is None and text_changed:
        texts = attachment_texts_of([instance.pk]).get(instance.pk, [])
    if text_changed:
        from xinbao.search.index import index_item

        index_item(instance, texts)
    elif SCOPE_FIELDS & set(update_fields or ()):
        from xinbao.search.index import scope_sync

        scope_sync(instance)
    if recheck:
        from xinbao.search import duplicates

        entry = None if texts is None else duplicates.Entry.of(instance.title, instance.body, texts)
        duplicates.index_item(
            instance, entry, text_unchanged=not text_changed, created=bool(kwargs.get("created"))
        )


def item_deleting(sender: type[Item], instance: Item, **kwargs: Any) -> None:
    _items_being_deleted.set(_items_being_deleted.get() | {instance.pk})


def item_deleted(sender: type[Item], instance: Item, **kwargs: Any) -> None:
    _items_being_deleted.set(_items_being_deleted.get() - {instance.pk})


def attachment_saved(
    sender: type[Attachment], instance: Attachment, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    from xinbao.search.extract import attachment_text
    from xinbao.search.models import AttachmentText

    AttachmentText.objects.update_or_create(
        attachment=instance, defaults={"text": attachment_text(instance)}
    )
    _reindex_text(Item.objects.get(pk=instance.item_id))


def _reindex_text(item: Item) -> None:
    """Both indexes of an item whose attachments changed (their text is searched and compared)."""
    from xinbao.search import duplicates
    from xinbao.search.index import index_item

    index_item(item)
    duplicates.index_item(item)


def attachment_deleted(sender: type[Attachment], instance: Attachment, **kwargs: Any) -> None:
    if instance.item_id in _items_being_deleted.get():
        return
    item = Item.objects.filter(pk=instance.item_id).first()
    if item is not None:
        _reindex_text(item)


def connect() -> None:
    post_save.connect(item_saved, sender=Item, dispatch_uid="search.item_saved")
    pre_delete.connect(item_deleting, sender=Item, dispatch_uid="search.item_deleting")
    post_delete.connect(item_deleted, sender=Item, dispatch_uid="search.item_deleted")
    post_save.connect(attachment_saved, sender=Attachment, dispatch_uid="search.attachment_saved")
    post_delete.connect(
        attachment_deleted, sender=Attachment, dispatch_uid="search.attachment_deleted"
    )
