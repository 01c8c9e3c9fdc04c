from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from xinbao.orgs.models import Role, Unit, User
from xinbao.transfer.models import DepartmentExport, HistoricalImport
from xinbao.web.access import department_of

RECENT_JOBS = 50


def recent_imports(department: Unit) -> QuerySet[HistoricalImport]:
    """The department's latest import jobs, newest first (bounded, on the department index)."""
    return (
        HistoricalImport.objects.filter(department=department)
        .select_related("started_by")
        .order_by("-started_at", "-id")[:RECENT_JOBS]
    )


def recent_exports(department: Unit) -> QuerySet[DepartmentExport]:
    """The department's latest archive exports, newest first (bounded, on the department index)."""
    return (
        DepartmentExport.objects.filter(department=department)
        .select_related("started_by")
        .order_by("-started_at", "-id")[:RECENT_JOBS]
    )


def access_export(user: User, pk: int, *, finished: bool = True) -> DepartmentExport:
    """An export of the user's own department (an editor's), finished with its file unless
    ``finished`` is false; 404 for anything else: another department's, one still running or
    failed (for the file), or a user who is not an editor."""
    if user.role != Role.EDITOR:
        raise Http404
    jobs = DepartmentExport.objects.filter(pk=pk, department=department_of(user))
    if finished:
        jobs = jobs.filter(status=DepartmentExport.Status.DONE).exclude(file="")
    job = jobs.first()
    if job is None:
        raise Http404
    return job
