"""The seal over audit records written before the chain existed (R17 on upgraded installations).

Migration audit/0004 adds the chain's columns without touching existing rows (giving each of a
million records its ``seq`` and MAC there took one UPDATE per row, hours on a big log, with the
append-only triggers lifted meanwhile). Those records keep ``seq`` NULL and are protected instead
by one seal, computed by ``xinbao backfill`` in batches while the system runs:

- The pre-chain records are the unchained ones with ``id <= boundary_id`` (migration audit/0005
  notes the newest unchained id; ``seal`` raises it to cover records that app servers still on
  the old code wrote before they were restarted). An unchained record past it was written
  around ``audit_record`` and ``verify`` reports it, as before.
- In id order, ``mac = HMAC-SM3(key, previous mac ‖ canonical(record))`` with the chain's own
  ``canonical`` (``seq`` null) and key, starting from the empty string: the same link as the
  chain's, over the records as they are — nothing in them is rewritten. After each batch the
  seal row stores how far it got (``last_id``, ``count``, ``mac``) and a checkpoint, in the
  batch's transaction, so an interrupted run resumes and a finished one does nothing.
- When every pre-chain record is covered, the seal is completed by a chained record
  ``audit.prechain_sealed`` carrying ``boundary_id``, ``count`` and ``mac``: from then on the seal
  itself cannot be changed without breaking the chain, and without the key nobody can compute a
  seal that matches changed records.

``verify`` recomputes the seal: a changed, deleted or inserted pre-chain record makes the MAC
differ from the first checkpoint after it, which names the id range. Until the seal is complete
the records not covered yet are reported as pending (the chain still verifies).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import router, transaction
from django.utils import timezone

from xinbao.audit.chain import LINK_COLUMNS, VERIFY_PAGE, audit_key, compute_mac, link_mac
from xinbao.audit.models import AuditPrechainSeal, AuditRecord

BATCH = 2000
SEALED_ACTION = "audit.prechain_sealed"


@dataclass(frozen=True)
class SealResult:
    sealed: int  # pre-chain records covered by this run
    total: int  # pre-chain records covered in all
    completed: bool  # the seal is complete (now or earlier)


def pending(using: str = "default") -> int:
    """Pre-chain records not covered by the seal yet (0 when there is nothing to seal)."""
    seal = AuditPrechainSeal.objects.using(using).filter(pk=1).first()
    if seal is None or seal.sealed_at is not None:
        return 0
    newest = _newest_unchained(using)
    return (
        AuditRecord.objects.using(using)
        .filter(seq__isnull=True, pk__gt=seal.last_id, pk__lte=max(newest, seal.boundary_id))
        .count()
    )


def _newest_unchained(using: str) -> int:
    return (
        AuditRecord.objects.using(using)
        .filter(seq__isnull=True)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    ) or 0


def seal(*, batch_size: int = BATCH, progress: Callable[[int], object] | None = None) -> SealResult:
    """Seal the pre-chain records, ``batch_size`` a transaction, and complete the seal with its
    chained record. Resumable and idempotent; does nothing on installations without pre-chain
    records."""
    from xinbao.audit.services import audit_record

    using = router.db_for_write(AuditRecord)
    row = AuditPrechainSeal.objects.using(using).filter(pk=1).first()
    if row is None:
        return SealResult(0, 0, True)
    if row.sealed_at is not None:
        return SealResult(0, row.count, True)
    with transaction.atomic(using=using):
        row = AuditPrechainSeal.objects.using(using).select_for_update().get(pk=1)
        newest = _newest_unchained(using)
        if row.sealed_at is None and newest > row.boundary_id:
            row.boundary_id = newest
            row.save(update_fields=["boundary_id"])
    key = audit_key()
    sealed = 0
    while True:
        with transaction.atomic(using=using):
            row = AuditPrechainSeal.objects.using(using).select_for_update().get(pk=1)
            if row.sealed_at is not None:
                return SealResult(sealed, row.count, True)
            # A walk of the key range alone (chained records in it are skipped in Python):
            # filtering on seq IS NULL lets the planner scan the table for every batch.
            scanned = list(
                AuditRecord.objects.using(using)
                .filter(pk__gt=row.last_id, pk__lte=row.boundary_id)
                .order_by("pk")[:batch_size]
            )
            if not scanned:
                break
            records = [record for record in scanned if record.seq is None]
            mac = row.mac
            for record in records:
                mac = compute_mac(mac, record, key)
            row.last_id, row.count, row.mac = scanned[-1].pk, row.count + len(records), mac
            row.checkpoints = [*row.checkpoints, [row.last_id, row.count, mac]]
            row.save(update_fields=["last_id", "count", "mac", "checkpoints"])
        sealed += len(records)
        if progress is not None:
            progress(len(records))
    with transaction.atomic(using=using):
        row = AuditPrechainSeal.objects.using(using).select_for_update().get(pk=1)
        if row.sealed_at is None:
            row.sealed_at = timezone.now()
            row.save(update_fields=["sealed_at"])
            audit_record(
                actor=None,
                action=SEALED_ACTION,
                changes={"boundary_id": row.boundary_id, "count": row.count, "mac": row.mac},
            )
    return SealResult(sealed, row.count, True)


@dataclass(frozen=True)
class PrechainVerdict:
    ok: bool
    checked: int  # pre-chain records recomputed
    pending: int  # pre-chain records not sealed yet
    message: str = ""
    record_id: int | None = None


def verify(using: str = "default", chunk: int = VERIFY_PAGE) -> PrechainVerdict:
    """Recompute the seal over the pre-chain records (see the module docstring)."""
    row = AuditPrechainSeal.objects.using(using).filter(pk=1).first()
    if row is None:
        return PrechainVerdict(True, 0, 0)
    records = AuditRecord.objects.using(using)
    if row.sealed_at is not None:
        sealed = records.filter(action=SEALED_ACTION, seq__isnull=False).order_by("-seq").first()
        expected = {"boundary_id": row.boundary_id, "count": row.count, "mac": row.mac}
        if sealed is None or sealed.changes != expected:
            return PrechainVerdict(
                False, 0, 0, "链前记录的封存与审计链中的封存记录(audit.prechain_sealed)不符。"
            )
    mac_of = link_mac(audit_key())
    checkpoints: list[list[Any]] = list(row.checkpoints)
    position, mac, count, low = 0, "", 0, 0

    def broken(upto: int) -> PrechainVerdict:
        return PrechainVerdict(
            False,
            count,
            0,
            f"链前记录 id {low + 1}–{upto} 中有记录被修改、删除或插入(与封存校验码不符)。",
            low + 1,
        )

    last: int | None = None  # no lower bound on the first page: an id ≤ 0 is checked too
    while True:
        page_qs = records.filter(pk__lte=row.last_id)  # key range only, as in ``seal``
        if last is not None:
            page_qs = page_qs.filter(pk__gt=last)
        page = list(page_qs.order_by("pk").values_list(*LINK_COLUMNS)[:chunk])
        for record in page:
            if record[1] is not None:  # chained: verified as a link of the chain
                continue
            while position < len(checkpoints) and checkpoints[position][0] < record[0]:
                if not _matches(checkpoints[position], count, mac):
                    return broken(int(checkpoints[position][0]))
                low = int(checkpoints[position][0])
                position += 1
            mac = mac_of(mac, record)
            count += 1
        if len(page) < chunk:
            break
        last = page[-1][0]
    while position < len(checkpoints):
        if not _matches(checkpoints[position], count, mac):
            return broken(int(checkpoints[position][0]))
        low = int(checkpoints[position][0])
        position += 1
    if (count, mac) != (row.count, row.mac) or not hmac.compare_digest(mac, row.mac):
        return broken(row.last_id)
    waiting = 0
    if row.sealed_at is None:
        waiting = records.filter(
            seq__isnull=True, pk__gt=row.last_id, pk__lte=row.boundary_id
        ).count()
    return PrechainVerdict(True, count, waiting)


def _matches(point: list[Any], count: int, mac: str) -> bool:
    return int(point[1]) == count and hmac.compare_digest(str(point[2]), mac)
