"""The dashboards: the department's (editors, department leaders) and a unit's own (its officers
and leaders, and the department's staff). Thin: parse the period, read the cached figures,
render; the .xlsx and .docx downloads render the same figures."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from xinbao.dashboard import queries
from xinbao.dashboard.exports import XLSX_MIME, figure_filename, figure_xlsx
from xinbao.dashboard.figures import Figure
from xinbao.dashboard.pages import figures_renderer
from xinbao.dashboard.periods import Period, PeriodError, parse_month, parse_period, previous_month
from xinbao.dashboard.report import monthly_report, report_docx, report_filename
from xinbao.orgs.models import Unit
from xinbao.web.access import AuthedRequest
from xinbao.web.downloads import DOCX_MIME, file_response


def _period(request: AuthedRequest) -> tuple[Period, str]:
    """The requested period, or this year with the error message when the input is bad."""
    try:
        return parse_period(request.GET), ""
    except PeriodError as error:
        return parse_period({}), str(error)


def _context(request: AuthedRequest, period: Period, error: str, figures: str) -> dict[str, Any]:
    last = previous_month(timezone.localdate().replace(day=1))
    return {
        "period": period,
        "error": error,
        "figures_html": figures,
        "params": request.GET,
        "kinds": [(k, label) for k, label in Unit.Kind.choices if k in queries.UNIT_KINDS],
        "report_month": request.GET.get("month") or f"{last:%Y-%m}",
    }


def department(request: AuthedRequest) -> HttpResponse:
    dept = queries.dashboard_department(request.user)
    period, error = _period(request)
    kind = queries.clean_kind(request.GET.get("kind", ""))
    figures = queries.department_page(dept, period, kind, figures_renderer(period, kind))
    context = _context(request, period, error, figures)
    context.update({"department": dept, "kind": kind, "subject": dept.name})
    return render(request, "dashboard/department.html", context)


def department_xlsx(request: AuthedRequest, key: str) -> HttpResponse:
    dept = queries.dashboard_department(request.user)
    period, _error = _period(request)
    kind = queries.clean_kind(request.GET.get("kind", ""))
    figure = queries.figure_of(queries.department_dashboard(dept, period, kind), key)
    subtitle = f"{dept.name} {period.label}"
    return _xlsx(figure, subtitle)


def _xlsx(figure: Figure, subtitle: str) -> HttpResponse:
    data = figure_xlsx(figure, subtitle)
    return file_response(data, figure_filename(figure, subtitle), XLSX_MIME)


def mine(request: AuthedRequest) -> HttpResponse:
    return redirect("dashboard:unit", pk=request.user.home_unit.pk)


def unit(request: AuthedRequest, pk: int) -> HttpResponse:
    target = queries.access_dashboard_unit(request.user, pk)
    period, error = _period(request)
    figures = queries.unit_page(target, period, figures_renderer(period, unit=target))
    context = _context(request, period, error, figures)
    context.update({"unit": target, "subject": target.name})
    return render(request, "dashboard/unit.html", context)


def unit_xlsx(request: AuthedRequest, pk: int, key: str) -> HttpResponse:
    target = queries.access_dashboard_unit(request.user, pk)
    period, _error = _period(request)
    figure = queries.figure_of(queries.unit_dashboard(target, period), key)
    subtitle = f"{target.name} {period.label}"
    return _xlsx(figure, subtitle)


def report_download(request: AuthedRequest) -> HttpResponse:
    dept = queries.dashboard_department(request.user)
    last = previous_month(timezone.localdate().replace(day=1))
    try:
        period = parse_month(request.GET.get("month") or f"{last:%Y-%m}")
    except PeriodError as error:
        context = _context(request, parse_period({}), str(error), "")
        context.update({"department": dept, "kind": "", "subject": dept.name})
        return render(request, "dashboard/department.html", context, status=400)
    report = monthly_report(dept, period)
    return file_response(report_docx(report), report_filename(report), DOCX_MIME)
