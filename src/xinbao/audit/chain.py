"""The HMAC-SM3 chain over the audit log (R17).

Every record carries ``seq`` (1, 2, 3, … with no gaps) and
``mac = HMAC-SM3(key, previous mac ‖ canonical(record))``. The one row of ``AuditChainHead``
holds the last ``seq`` and ``mac``; a writer locks it (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite the ``IMMEDIATE`` transaction already holds the database's write lock), so two app servers
writing at once still produce one gap-free chain. Changing, deleting, inserting or reordering a
record breaks the chain at that record; deleting the newest records no longer matches the head.

A purge (``xinbao audit purge``) removes the oldest records and leaves an ``AuditAnchor``: the
``seq`` and ``mac`` of the last removed record, from which verification starts. The purge itself is
a chained record naming the anchor, so an anchor nobody purged for is reported too.

The key comes from ``XINBAO_AUDIT_KEY`` or ``var/audit_key`` (generated once, mode 0600, never
committed). Keep it apart from the backups: whoever holds it can rewrite the chain.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from xinbao.security.keys import local_secret

if TYPE_CHECKING:
    from xinbao.audit.models import AuditRecord

ALGORITHM = "sm3"
UPGRADE_HINT = ";如为升级期间旧版本写入,先运行 xinbao backfill"


@cache
def audit_key() -> bytes:
    """The chain key: the environment's, else ``var/audit_key``, generated there when absent."""
    path = Path(settings.VAR_DIR) / "audit_key"
    return local_secret("XINBAO_AUDIT_KEY", path, lambda: secrets.token_urlsafe(48)).encode()


def utc_ms(moment: datetime.datetime) -> datetime.datetime:
    """A timestamp as stored in a record: UTC, to the millisecond."""
    moment = moment.astimezone(datetime.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def canonical(record: AuditRecord) -> bytes:
    """The bytes the MAC covers: every field but the id and the MAC, in a fixed form."""
    fields: dict[str, Any] = {
        "seq": record.seq,
        "at": utc_ms(record.at).isoformat(timespec="milliseconds"),
        "actor": record.actor_id,
        "actor_name": record.actor_name,
        "role": record.role,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "object_repr": record.object_repr,
        "success": bool(record.success),
        "changes": record.changes,
        "ip": record.ip or "",
        "user_agent": record.user_agent,
        "request_id": record.request_id,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_mac(previous: str, record: AuditRecord, key: bytes | None = None) -> str:
    message = previous.encode() + b"|" + canonical(record)
    return hmac.new(key or audit_key(), message, ALGORITHM).hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    message: str
    record_id: int | None = None
    seq: int | None = None
    pending: int = 0  # pre-chain records not sealed yet (``audit.prechain``)


def verify_chain(using: str = "default", chunk: int = 2000) -> Verdict:
    """Walk the chain in ``seq`` order from the latest anchor; the first broken or missing link.
    Records from before the chain are checked against their seal (``audit.prechain``)."""
    from xinbao.audit.models import AuditAnchor, AuditChainHead, AuditPrechainSeal, AuditRecord

    anchor = AuditAnchor.objects.using(using).order_by("-seq").first()
    seq, previous = (anchor.seq, anchor.mac) if anchor else (0, "")
    records = AuditRecord.objects.using(using)
    if anchor is not None:
        purge = records.filter(action="audit.purged", changes__anchor_seq=anchor.seq).first()
        if purge is None or purge.changes.get("anchor_mac") != anchor.mac:
            return Verdict(False, 0, f"锚点 seq {anchor.seq} 没有对应的清理记录(audit.purged)。")
        if records.filter(seq__lte=anchor.seq).exists():
            return Verdict(False, 0, f"锚点 seq {anchor.seq} 之前仍有记录,锚点与记录不符。")
    seal = AuditPrechainSeal.objects.using(using).filter(pk=1).first()
    boundary = seal.boundary_id if seal is not None else 0
    unchained = records.filter(seq__isnull=True, pk__gt=boundary).order_by("id").first()
    if unchained is not None:
        hint = "" if seal is None or seal.sealed_at else UPGRADE_HINT
        return Verdict(
            False,
            0,
            f"记录 id {unchained.pk} 没有链序号(未经 audit_record 写入{hint})。",
            unchained.pk,
        )
    from xinbao.audit import prechain

    before = prechain.verify(using, chunk)
    if not before.ok:
        return Verdict(False, 0, before.message, before.record_id)
    key = audit_key()
    checked = 0
    for record in _in_order(records, chunk):
        seq += 1
        if record.seq != seq:
            return Verdict(
                False,
                checked,
                f"缺少记录 seq {seq}(下一条是 id {record.pk}, seq {record.seq})。",
                record.pk,
                seq,
            )
        if not hmac.compare_digest(compute_mac(previous, record, key), record.mac):
            return Verdict(
                False,
                checked,
                f"记录 id {record.pk}(seq {seq})与其校验码不符:已被修改、插入或调换顺序。",
                record.pk,
                seq,
            )
        previous = record.mac
        checked += 1
    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    head_seq, head_mac = (head.seq, head.mac) if head else (0, "")
    if (head_seq, head_mac) != (seq, previous):
        return Verdict(
            False,
            checked,
            f"链尾不符:最后一条记录是 seq {seq},链头记载的是 seq {head_seq}"
            f"(seq {seq + 1} 起的记录缺失或链头被改)。",
            None,
            seq + 1,
        )
    message = f"审计链完整:校验 {checked} 条记录,最后 seq {seq}。"
    if before.checked:
        message += f"升级前写入的 {before.checked} 条链前记录与封存校验码相符。"
    if before.pending:
        message += (
            f"另有 {before.pending} 条升级前写入的记录尚未封存(运行 xinbao backfill),"
            "封存前无法发现对它们的改动。"
        )
    return Verdict(True, checked, message, pending=before.pending)


def _in_order(records: Any, chunk: int) -> Iterator[AuditRecord]:
    """All chained records by ``seq``, read in bounded pages (keyset on ``seq``)."""
    last = 0
    while True:
        page = list(records.filter(seq__gt=last).order_by("seq")[:chunk])
        if not page:
            return
        yield from page
        last = page[-1].seq


def file_digests(path: os.PathLike[str] | str) -> dict[str, str]:
    """SHA-256 and SM3 of a file, read in blocks."""
    sha, sm3 = hashlib.sha256(), hashlib.new("sm3")
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
            sm3.update(block)
    return {"sha256": sha.hexdigest(), "sm3": sm3.hexdigest()}
