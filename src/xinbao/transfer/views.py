from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from xinbao.transfer import queries
from xinbao.transfer.models import HistoricalImport
from xinbao.web.access import AuthedRequest, department_of
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
