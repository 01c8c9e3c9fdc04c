from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from xinbao.items.errors import ItemError
from xinbao.orgs.models import Role, Unit, User
from xinbao.transfer.models import DepartmentExport, HistoricalImport
from xinbao.web.access import department_of

RECENT_JOBS = 50


class ExportGone(ItemError):
    """The export's archive was deleted (expired or by its maker): 410 with the reason."""

    status = 410


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
    failed (for the file), or a user who is not an editor. For the file of an export whose
    archive was deleted, ``ExportGone`` (410) says so in Chinese."""
    if user.role != Role.EDITOR:
        raise Http404
    job = DepartmentExport.objects.filter(pk=pk, department=department_of(user)).first()
    if job is None:
        raise Http404
    if finished and job.status == DepartmentExport.Status.EXPIRED:
        raise ExportGone(_("这次导出的归档文件已过期,按保留期限自动删除了;如仍需要,请重新导出。"))
    if finished and job.status == DepartmentExport.Status.DELETED:
        raise ExportGone(_("这次导出的归档文件已被导出人删除;如仍需要,请重新导出。"))
    if finished and (job.status != DepartmentExport.Status.DONE or not job.file):
        raise Http404
    return job
