"""Reads of the audit log, for the audit administrator's pages and exports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from xinbao.audit.models import AuditRecord


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""  # prefix: "item." finds every item event
    actor: str = ""  # username, exactly
    date_from: datetime.date | None = None  # local dates, both inclusive
    date_to: datetime.date | None = None


def audit_records(condition: AuditFilter) -> QuerySet[AuditRecord]:
    """Newest first; every filter uses an index (action/actor name/time)."""
    qs = AuditRecord.objects.order_by("-at", "-id")
    if condition.action:
        qs = qs.filter(action__startswith=condition.action)
    if condition.actor:
        qs = qs.filter(actor_name=condition.actor)
    if condition.date_from:
        qs = qs.filter(at__gte=_local_midnight(condition.date_from))
    if condition.date_to:
        qs = qs.filter(at__lt=_local_midnight(condition.date_to + datetime.timedelta(days=1)))
    return qs


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
