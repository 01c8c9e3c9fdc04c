from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xinbao.items.errors import ItemError
from xinbao.transfer import queries
from xinbao.transfer.exports import (
    department_export_delete,
    department_export_download,
    department_export_start,
)
from xinbao.transfer.models import HistoricalImport
from xinbao.web.access import AuthedRequest, department_of
from xinbao.web.downloads import stored_file_response
from xinbao.web.errors import error_page
from xinbao.web.htmx import is_htmx


def imports(request: AuthedRequest) -> HttpResponse:
    """The department's historical imports with their progress; while one runs, the table
    refreshes itself (htmx polling of this same view)."""
    jobs = list(queries.recent_imports(department_of(request.user)))
    context = {
        "jobs": jobs,
        "running": any(job.status == HistoricalImport.Status.RUNNING for job in jobs),
    }
    template = "transfer/_jobs.html" if is_htmx(request) else "transfer/imports.html"
    return render(request, template, context)


def exports(request: AuthedRequest) -> HttpResponse:
    """The department's archive exports with their progress (htmx polls this view while one is
    queued or running); POST queues a new one."""
    if request.method == "POST":
        try:
            department_export_start(actor=request.user)
        except ItemError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("已开始导出本部门的数据,完成后可在下方下载。"))
        return redirect("transfer:exports")
    jobs = list(queries.recent_exports(department_of(request.user)))
    context = {
        "jobs": jobs,
        "running": any(job.active for job in jobs),
        "retention_days": settings.XINBAO_EXPORT_RETENTION_DAYS,
    }
    template = "transfer/_exports.html" if is_htmx(request) else "transfer/exports.html"
    return render(request, template, context)


def export_download(request: AuthedRequest, pk: int) -> HttpResponse | FileResponse:
    try:
        job = queries.access_export(request.user, pk)
    except queries.ExportGone as gone:
        return error_page(request, gone.status, str(gone))
    department_export_download(actor=request.user, job=job)
    name = Path(job.file.name).name
    return stored_file_response(job.file, name, "application/zip")


def export_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """POST: the editor who made the export deletes its archive now (audited)."""
    job = queries.access_export(request.user, pk, finished=False)
    try:
        department_export_delete(actor=request.user, job=job)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已删除这次导出的归档文件。"))
    return redirect("transfer:exports")
