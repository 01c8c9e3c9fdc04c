from __future__ import annotations

from django.db.models import QuerySet

from xinbao.orgs.models import Unit
from xinbao.transfer.models import HistoricalImport

RECENT_JOBS = 50


def recent_imports(department: Unit) -> QuerySet[HistoricalImport]:
    """The department's latest import jobs, newest first (bounded, on the department index)."""
    return (
        HistoricalImport.objects.filter(department=department)
        .select_related("started_by")
        .order_by("-started_at", "-id")[:RECENT_JOBS]
    )
