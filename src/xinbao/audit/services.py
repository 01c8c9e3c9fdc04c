"""The one way to write the audit log."""

from __future__ import annotations

import datetime
import json
import unicodedata
from typing import Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit import chain, triggers
from xinbao.audit.context import client_ip, request_id, user_agent
from xinbao.audit.models import AuditAnchor, AuditChainHead, AuditRecord

MIN_RETENTION_DAYS = 180


def lock_chain() -> None:
    """Take the chain head's lock now, until the transaction ends (PostgreSQL; SQLite runs one
    writer at a time). For code that must order its own writes with the audit writes of other
    transactions: every audited transaction takes this lock, so taking it earlier adds no new
    lock to wait for in another order (``search.duplicates`` rewrites similar pairs under it).

    Plain SQL when the head exists (every write of a near-duplicate step takes this lock: the
    ORM's query building cost more than the query); ``get_or_create`` makes it the first time."""
    using = router.db_for_write(AuditRecord)
    connection = connections[using]
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = 1{lock}")  # noqa: S608 - names only
        if cursor.fetchone() is not None:
            return
    AuditChainHead.objects.using(using).select_for_update().get_or_create(pk=1)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    success: bool = True,
) -> AuditRecord:
    """Append one record, the next link of the chain. Call it inside the transaction of the
    change it describes: if this write fails, that transaction fails with it (R18). The chain
    head stays locked until that transaction ends, so concurrent writers queue here."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    using = router.db_for_write(AuditRecord)
    # No savepoint: inside the caller's transaction a failure here fails that transaction.
    with transaction.atomic(using=using, savepoint=False):
        head, _ = AuditChainHead.objects.using(using).select_for_update().get_or_create(pk=1)
        record = AuditRecord(
            at=chain.utc_ms(timezone.now()),
            actor=actor if is_user else None,
            actor_name=single_line(actor.get_username())[:150] if is_user else "",
            role=str(getattr(actor, "role", "") or "")[:16] if is_user else "",
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=single_line(str(obj))[:200] if obj is not None else "",
            success=success,
            # As the JSON column gives it back, so that the MAC is computed over the same value.
            changes=json.loads(json.dumps(changes or {})),
            ip=client_ip.get(),
            user_agent=single_line(user_agent.get())[:300],
            request_id=request_id.get()[:64],
            seq=head.seq + 1,
        )
        record.mac = chain.compute_mac(head.mac, record)
        record.save(force_insert=True, using=using)
        AuditChainHead.objects.using(using).filter(pk=1).update(seq=record.seq, mac=record.mac)
    return record


def single_line(text: str) -> str:
    """Control characters (CR, LF, ESC, …) as visible escapes, so that a crafted username or user
    agent cannot forge lines or colours where records are shown or exported (ASVS 7.3.1)."""
    if text.isprintable():
        return text
    return "".join(f"\\x{ord(ch):02x}" if unicodedata.category(ch) == "Cc" else ch for ch in text)


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that changed, as ``{"field": [old, new]}``; long texts are summarized."""
    changed: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changed[key] = [_summary(old), _summary(new)]
    return changed


def summarize(values: dict[str, Any]) -> dict[str, Any]:
    """A created object's fields for the record; long texts are summarized."""
    return {key: _summary(value) for key, value in values.items()}


def _summary(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 200:
        return f"{value[:80]}…({len(value)}字)"
    return value


class PurgeRefused(Exception):
    """A purge that would break retention or destroy evidence; the message says why."""


def audit_purge(*, before: datetime.datetime, actor: Any = None) -> int:
    """Delete the oldest records, those written before ``before``, keeping the chain verifiable.

    Refused when ``before`` is inside the retention period (at least 180 days) or when the chain
    does not verify now (a purge must not hide a break). Only a prefix of the chain goes: the
    records up to the first one at or after ``before``. The last removed link becomes the new
    ``AuditAnchor`` and the purge is itself recorded (``audit.purged``, naming the anchor), all in
    one transaction with the triggers lifted only inside it.
    """
    retention = max(settings.XINBAO_AUDIT_RETENTION_DAYS, MIN_RETENTION_DAYS)
    limit = timezone.now() - datetime.timedelta(days=retention)
    if before > limit:
        raise PurgeRefused(
            _("审计记录至少保留 %(days)d 天:只能清理 %(date)s 之前的记录。")
            % {"days": retention, "date": timezone.localtime(limit).strftime("%Y-%m-%d")}
        )
    using = router.db_for_write(AuditRecord)
    with transaction.atomic(using=using):
        AuditChainHead.objects.using(using).select_for_update().get_or_create(pk=1)
        verdict = chain.verify_chain(using)
        if not verdict.ok:
            raise PurgeRefused(_("审计链校验未通过,拒绝清理:%(m)s") % {"m": verdict.message})
        records = AuditRecord.objects.using(using)
        # Chained records only: those from before the chain stay (their seal covers them all).
        chained = records.filter(seq__isnull=False)
        first_kept = chained.filter(at__gte=before).order_by("seq").values("seq").first()
        doomed = chained.filter(seq__lt=first_kept["seq"]) if first_kept else chained
        last = doomed.order_by("-seq").first()
        if last is None:
            return 0
        count = doomed.count()
        with triggers.lifted(connections[using]):
            # The queryset's own delete() is refused by design; the trigger-free raw delete is
            # the purge's alone.
            doomed._raw_delete(using)
        AuditAnchor.objects.using(using).create(
            seq=last.seq, mac=last.mac, purged_before=before, purged_count=count
        )
        audit_record(
            actor=actor,
            action="audit.purged",
            changes={
                "before": before.isoformat(),
                "count": count,
                "anchor_seq": last.seq,
                "anchor_mac": last.mac,
            },
        )
    return count
