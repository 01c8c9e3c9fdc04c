"""Data work that migration items/0006 used to do inside the migration, done in batches while the
system runs (``xinbao backfill``): the 保密 finding count of items not checked yet
(``Item.secrecy_findings`` NULL) and the SM3 digest of attachments stored before SM3 digests were
taken (``Attachment.sm3`` empty).

Both walk the table in primary-key order, ``batch_size`` keys at a time, one transaction per
batch, and touch only rows still missing the value, so an interrupted run resumes where it
stopped and a second run changes nothing. A row the application changes meanwhile is never
overwritten: the batch locks its rows (``SELECT … FOR UPDATE``) and writes only those still NULL
(an edit stores its own count in the same locked way, ``items.services.do_secrecy_refresh``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction

from xinbao.items import secrecy
from xinbao.items.models import Attachment, Item, SecrecyTermList, split_paragraphs

BATCH = 1000


@dataclass(frozen=True)
class BackfillResult:
    """``seen``: rows still missing the value when their batch ran; ``written``: those given one
    (an attachment whose file is missing or altered is seen but not written)."""

    seen: int
    written: int


def _next_ids(model: type[models.Model], last_id: int, size: int) -> list[int]:
    """The next ``size`` primary keys after ``last_id``: a plain walk of the primary-key index.
    The rows still missing their value are picked among them; filtering on the missing value
    here would let the planner, misled by statistics from before the upgrade, scan the table
    for every batch."""
    keys = model._default_manager.filter(pk__gt=last_id).order_by("pk")
    return list(keys.values_list("pk", flat=True)[:size])


def secrecy_pending() -> int:
    """Items whose 保密 count is not known yet."""
    return Item.objects.filter(secrecy_findings__isnull=True).count()


def count_findings(title: str, body: str, terms: list[str], attachment_texts: list[str]) -> int:
    """The number of findings ``items.queries.item_findings`` reports for this text: title, body
    paragraphs and each attachment's extracted text, with the department's terms."""
    found = len(secrecy.scan([title], source="", terms=terms))
    found += len(secrecy.scan(split_paragraphs(body), source="", terms=terms))
    for text in attachment_texts:
        found += len(secrecy.scan(split_paragraphs(text), source="", terms=terms))
    return found


def _terms_of(department_ids: set[int]) -> dict[int, list[str]]:
    rows = SecrecyTermList.objects.filter(department_id__in=department_ids)
    return {row.department_id: secrecy.parse_terms(row.terms) for row in rows}


def _attachment_texts_of(item_ids: list[int]) -> dict[int, list[str]]:
    from xinbao.search.models import AttachmentText  # search builds on items, not back

    texts: dict[int, list[str]] = defaultdict(list)
    rows = (
        AttachmentText.objects.filter(attachment__item_id__in=item_ids)
        .exclude(text="")
        .order_by("attachment__uploaded_at", "attachment_id")
        .values_list("attachment__item_id", "text")
    )
    for item_id, text in rows:
        texts[item_id].append(text)
    return texts


def secrecy_backfill(
    *, batch_size: int = BATCH, progress: Callable[[int], object] | None = None
) -> BackfillResult:
    """Count the 保密 findings of every item not checked yet, ``batch_size`` items a transaction."""
    if not Item.objects.filter(secrecy_findings__isnull=True).exists():
        return BackfillResult(seen=0, written=0)  # one scan instead of a walk of every key
    last_id, seen = 0, 0
    while True:
        ids = _next_ids(Item, last_id, batch_size)
        if not ids:
            break
        with transaction.atomic():
            batch = list(
                Item.objects.select_for_update()
                .filter(pk__in=ids, secrecy_findings__isnull=True)
                .order_by("pk")
                .only("pk", "title", "body", "department_id")
            )
            terms = _terms_of({item.department_id for item in batch if item.department_id})
            texts = _attachment_texts_of([item.pk for item in batch])
            by_count: dict[int, list[int]] = defaultdict(list)
            for item in batch:
                item_terms = terms.get(item.department_id, list(secrecy.DEFAULT_TERMS))
                count = count_findings(item.title, item.body, item_terms, texts.get(item.pk, []))
                by_count[count].append(item.pk)
            for count, pks in by_count.items():
                Item.objects.filter(pk__in=pks).update(secrecy_findings=count)
        seen += len(batch)
        last_id = ids[-1]
        if progress is not None:
            progress(len(batch))
    return BackfillResult(seen=seen, written=seen)


def sm3_pending() -> int:
    return Attachment.objects.filter(sm3="").count()


def sm3_backfill(
    *, batch_size: int = BATCH, progress: Callable[[int], object] | None = None
) -> BackfillResult:
    """The SM3 digest of every attachment stored without one, read from the stored file when it
    still matches its SHA-256 digest (a missing or altered file keeps no SM3 digest: ``xinbao
    scrub`` reports it)."""
    if not Attachment.objects.filter(sm3="").exists():
        return BackfillResult(seen=0, written=0)
    last_id, seen, written = 0, 0, 0
    while True:
        ids = _next_ids(Attachment, last_id, batch_size)
        if not ids:
            break
        batch = list(
            Attachment.objects.filter(pk__in=ids, sm3="")
            .order_by("pk")
            .only("pk", "file", "sha256")
        )
        digests: dict[int, str] = {}
        for attachment in batch:
            try:
                with attachment.file.open("rb") as handle:
                    data = handle.read()
            except (OSError, ValueError):
                continue
            if hashlib.sha256(data).hexdigest() == attachment.sha256:
                digests[attachment.pk] = hashlib.new("sm3", data).hexdigest()
        with transaction.atomic():
            for pk, digest in digests.items():
                written += Attachment.objects.filter(pk=pk, sm3="").update(sm3=digest)
        seen += len(batch)
        last_id = ids[-1]
        if progress is not None:
            progress(len(batch))
    return BackfillResult(seen=seen, written=written)
