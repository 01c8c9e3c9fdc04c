"""The one way to write the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from xinbao.audit.context import client_ip
from xinbao.audit.models import AuditRecord


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    success: bool = True,
) -> AuditRecord:
    """Append one record. Call it inside the transaction of the change it describes."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditRecord.objects.create(
        actor=actor if is_user else None,
        actor_name=actor.get_username() if is_user else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        success=success,
        changes=changes or {},
        ip=client_ip.get(),
    )


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
