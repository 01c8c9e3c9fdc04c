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

Verification is always complete: it recomputes every link (and the pre-chain seal) from the
start or the latest anchor. Starting from a stored "verified up to here" checkpoint would not see a
record changed after an earlier run had checked it, which R17 (a changed byte in any record is
reported) does not allow; instead the walk reads plain rows (``LINK_COLUMNS``, no model
instances) in pages of ``VERIFY_PAGE`` and keys the HMAC once (``link_mac``).

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from xinbao.security.keys import local_secret

if TYPE_CHECKING:
    from xinbao.audit.models import AuditRecord

ALGORITHM = "sm3"
VERIFY_PAGE = 5000  # records read at a time when verifying
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


# The columns a link covers, in ``canonical_values``' order, with the id before and the MAC
# after: what verification reads (``values_list``, no model instances).
LINK_COLUMNS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "role",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "success",
    "changes",
    "ip",
    "user_agent",
    "request_id",
    "mac",
)
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(record: AuditRecord) -> bytes:
    """The bytes the MAC covers: every field but the id and the MAC, in a fixed form."""
    return canonical_values(
        record.seq,
        record.at,
        record.actor_id,
        record.actor_name,
        record.role,
        record.action,
        record.object_type,
        record.object_id,
        record.object_repr,
        record.success,
        record.changes,
        record.ip,
        record.user_agent,
        record.request_id,
    )


def canonical_values(
    seq: int | None,
    at: datetime.datetime,
    actor: int | None,
    actor_name: str,
    role: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    success: bool,
    changes: Any,
    ip: str | None,
    user_agent: str,
    request_id: str,
) -> bytes:
    """``canonical`` of a row read as ``LINK_COLUMNS[1:-1]``."""
    fields: dict[str, Any] = {
        "seq": seq,
        # ISO format to the millisecond truncates, as ``utc_ms`` does.
        "at": at.astimezone(datetime.UTC).isoformat(timespec="milliseconds"),
        "actor": actor,
        "actor_name": actor_name,
        "role": role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "success": bool(success),
        "changes": changes,
        "ip": ip or "",
        "user_agent": user_agent,
        "request_id": request_id,
    }
    return _ENCODER.encode(fields).encode()


def compute_mac(previous: str, record: AuditRecord, key: bytes | None = None) -> str:
    message = previous.encode() + b"|" + canonical(record)
    return hmac.new(key or audit_key(), message, ALGORITHM).hexdigest()


def link_mac(key: bytes) -> Callable[[str, tuple[Any, ...]], str]:
    """``compute_mac`` for rows read as ``LINK_COLUMNS``, with the key's HMAC state prepared
    once (each link copies it rather than keying a new HMAC): verification's inner loop."""
    keyed = hmac.new(key, digestmod=ALGORITHM)

    def mac(previous: str, row: tuple[Any, ...]) -> str:
        link = keyed.copy()
        link.update(previous.encode() + b"|" + canonical_values(*row[1:-1]))
        return link.hexdigest()

    return mac


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    message: str
    record_id: int | None = None
    seq: int | None = None
    pending: int = 0  # pre-chain records not sealed yet (``audit.prechain``)


def verify_chain(using: str = "default", chunk: int = VERIFY_PAGE) -> Verdict:
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
    mac_of = link_mac(audit_key())
    checked = 0
    for row in _in_order(records, chunk):
        seq += 1
        pk, row_seq, row_mac = row[0], row[1], row[-1]
        if row_seq != seq:
            return Verdict(
                False,
                checked,
                f"缺少记录 seq {seq}(下一条是 id {pk}, seq {row_seq})。",
                pk,
                seq,
            )
        if not hmac.compare_digest(mac_of(previous, row), row_mac):
            return Verdict(
                False,
                checked,
                f"记录 id {pk}(seq {seq})与其校验码不符:已被修改、插入或调换顺序。",
                pk,
                seq,
            )
        previous = row_mac
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


def _in_order(records: Any, chunk: int) -> Iterator[tuple[Any, ...]]:
    """All chained records by ``seq`` as ``LINK_COLUMNS`` rows, read in bounded pages (keyset
    on ``seq``)."""
    last = 0
    while True:
        page = list(records.filter(seq__gt=last).order_by("seq").values_list(*LINK_COLUMNS)[:chunk])
        if not page:
            return
        yield from page
        last = page[-1][1]


def file_digests(path: os.PathLike[str] | str) -> dict[str, str]:
    """SHA-256 and SM3 of a file, read in blocks."""
    sha, sm3 = hashlib.sha256(), hashlib.new("sm3")
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
            sm3.update(block)
    return {"sha256": sha.hexdigest(), "sm3": sm3.hexdigest()}
