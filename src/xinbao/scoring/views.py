"""Rankings and each unit's points statement (the ledger anyone concerned can audit)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items.errors import ItemError
from xinbao.orgs.models import Role
from xinbao.scoring import queries, services
from xinbao.scoring.forms import AdjustmentForm
from xinbao.web.access import AuthedRequest, require_roles

DEPARTMENT = (Role.EDITOR, Role.DEPT_LEADER)
UNITS = (Role.OFFICER, Role.UNIT_LEADER)


def year_of(request: AuthedRequest) -> int:
    value = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(value) if value.isdigit() and 2000 <= int(value) <= this_year + 1 else this_year


@require_roles(*DEPARTMENT)
def ranking(request: AuthedRequest) -> HttpResponse:
    department = queries.department_of(request.user)
    year = year_of(request)
    context = {
        "year": year,
        "groups": queries.ranking(department, year),
        "ruleset": queries.ruleset_of(department, year),
    }
    return render(request, "scoring/ranking.html", context)


@require_roles(*UNITS)
def mine(request: AuthedRequest) -> HttpResponse:
    return redirect("scoring:statement", pk=request.user.home_unit.pk)


@require_roles(*DEPARTMENT, *UNITS)
def statement(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = queries.access_statement_unit(request.user, pk)
    year = year_of(request)
    lines = list(queries.statement_lines(unit, year))
    is_department = request.user.role in DEPARTMENT
    context = {
        "unit": unit,
        "year": year,
        "lines": lines,
        "total": sum((line.points for line in lines), Decimal(0)),
        "ruleset": queries.ruleset_of(unit.department, year),
        "is_department": is_department,
        "adjustments": queries.unit_adjustments(unit, year) if is_department else [],
        "form": AdjustmentForm() if request.user.has_role(Role.EDITOR) else None,
    }
    return render(request, "scoring/statement.html", context)


@require_POST
@require_roles(Role.EDITOR)
def adjustment_new(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = queries.access_statement_unit(request.user, pk)
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("扣分登记未保存:请填写类型、次数、日期和事由。"))
    else:
        try:
            services.adjustment_record(actor=request.user, unit=unit, **form.cleaned_data)
        except ItemError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("扣分已登记,计分明细已更新。"))
    return redirect("scoring:statement", pk=unit.pk)


@require_POST
@require_roles(Role.EDITOR)
def adjustment_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    adjustment = queries.access_adjustment(request.user, pk)
    try:
        services.adjustment_revoke(
            actor=request.user, adjustment=adjustment, reason=request.POST.get("reason", "")
        )
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("扣分登记已撤销,计分明细已更新。"))
    url = reverse("scoring:statement", kwargs={"pk": adjustment.unit_id})
    return redirect(f"{url}?year={adjustment.year}")
