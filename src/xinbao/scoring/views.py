"""Rankings and each unit's points statement (the ledger anyone concerned can audit)."""

from __future__ import annotations

import json
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items.errors import ItemError
from xinbao.items.queries import access_item
from xinbao.orgs.models import CLASS_LABELS, Role, Unit, allowed_classes
from xinbao.scoring import pending, queries, reports, ruleset_io, services
from xinbao.scoring.forms import AdjustmentForm, ReviewForm, RuleSetPageForm
from xinbao.scoring.models import ItemReview
from xinbao.scoring.periods import Period, month_period, parse_period, quarter_period, year_period
from xinbao.scoring.ranking import class_of, officer_ranking, unit_ranking
from xinbao.scoring.whatif import whatif as whatif_groups
from xinbao.scoring.yearend import Thresholds, commendations, criticism
from xinbao.web.access import AuthedRequest, department_of
from xinbao.web.downloads import DOCX_MIME, file_response

DEPARTMENT = (Role.EDITOR, Role.DEPT_LEADER)


def year_of(request: AuthedRequest) -> int:
    value = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(value) if value.isdigit() and 2000 <= int(value) <= this_year + 1 else this_year


def period_of(request: AuthedRequest, year: int) -> tuple[Period, str]:
    """The requested period (``?period=2026-Q3``), or the year with the problem's message."""
    try:
        return parse_period(request.GET.get("period", ""), year), ""
    except ValueError as error:
        return year_period(year), str(error)


def ranking(request: AuthedRequest) -> HttpResponse:
    """Units by class and overall, or officers, for a period: for editors and department
    leaders (officers and unit leaders read their own unit's statement, ``mine``)."""
    user = request.user
    department = department_of(user)
    year = year_of(request)
    period, error = period_of(request, year)
    unit_class = request.GET.get("class", "")
    try:
        kind = class_of(unit_class)
    except ValueError as problem:
        kind, error = None, str(problem)
    officers = request.GET.get("officers") == "1"
    build = officer_ranking if officers else unit_ranking
    result = build(department, period, unit_class=kind)
    # The units' ranking has read the year's rule set (for the quotas); the officers' has not.
    ruleset = queries.ruleset_of(department, period.year) if officers else result.ruleset
    context = {
        "year": year,
        "period": period,
        "period_text": request.GET.get("period", ""),
        "error": error,
        "unit_class": unit_class,
        "officers": officers,
        "groups": result.groups,
        "overall": result.overall,
        "ruleset": ruleset,
        "updating": pending.is_pending(department.pk),
        "classes": Unit.AssessmentClass.choices,
        "is_editor": user.has_role(Role.EDITOR),
        "is_department": user.has_role(*DEPARTMENT),
    }
    return render(request, "scoring/ranking.html", context)


def mine(request: AuthedRequest) -> HttpResponse:
    return redirect("scoring:statement", pk=request.user.home_unit.pk)


SHOW_LABELS = {
    "adopted": _("计分采用"),
    "high": _("市级以上采用"),
    "reference": _("参阅类采用"),
    "instruction": _("领导批示"),
    "topic": _("约稿"),
    "quota": _("目标任务"),
    "deduction": _("扣分"),
}


def statement(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit's ledger rows for a year or period, optionally only those behind one figure of
    the ranking (``?show=adopted``): "why do I have 57 points"."""
    unit = queries.access_statement_unit(request.user, pk)
    year = year_of(request)
    period, error = period_of(request, year)
    show = request.GET.get("show", "")
    lines = list(queries.period_lines(unit, period, show))
    is_department = request.user.role in DEPARTMENT
    context = {
        "unit": unit,
        "year": period.year,
        "period": period,
        "error": error,
        "show": str(SHOW_LABELS.get(show, "")),
        "lines": lines,
        "total": sum((line.points for line in lines), Decimal(0)),
        "ruleset": queries.ruleset_of(unit.department, period.year),
        "is_department": is_department,
        "is_editor": request.user.has_role(Role.EDITOR),
        "adjustments": queries.unit_adjustments(unit, year) if is_department else [],
        "officers": list(queries.visible_officers(request.user, unit)),
        "form": AdjustmentForm() if request.user.has_role(Role.EDITOR) else None,
    }
    return render(request, "scoring/statement.html", context)


def officer_statement(request: AuthedRequest, pk: int) -> HttpResponse:
    """An officer's ledger rows for a period (the rows the officers' ranking sums), or only
    those behind one figure (``?show=adopted``): officers read their own, unit leaders their
    unit's officers', editors and department leaders every officer's."""
    officer = queries.access_statement_officer(request.user, pk)
    unit = officer.home_unit
    year = year_of(request)
    period, error = period_of(request, year)
    show = request.GET.get("show", "")
    department = unit.department or unit
    lines = list(queries.officer_period_lines(department, officer, period, show))
    context = {
        "officer": officer,
        "unit": unit,
        "year": period.year,
        "period": period,
        "error": error,
        "show": str(SHOW_LABELS.get(show, "")),
        "lines": lines,
        "total": sum((line.points for line in lines), Decimal(0)),
        "is_department": request.user.role in DEPARTMENT,
        "is_editor": request.user.has_role(Role.EDITOR),
    }
    return render(request, "scoring/officer_statement.html", context)


def whatif(request: AuthedRequest) -> HttpResponse:
    """Preview the year's ranking under a draft rule set (JSON) next to the current one.
    Nothing is saved: the draft ranking is computed in memory."""
    department = department_of(request.user)
    year = year_of(request)
    ruleset = queries.ruleset_of(department, year)
    text = request.POST.get("rules", "") if request.method == "POST" else ""
    if not text and ruleset is not None:
        text = json.dumps(ruleset.rules, ensure_ascii=False, indent=2)
    groups, errors = None, []
    if request.method == "POST":
        try:
            draft = json.loads(text)
        except ValueError as error:
            errors = [_("考核办法草案不是有效的 JSON:%(error)s") % {"error": error}]
        else:
            try:
                groups = whatif_groups(department, year, draft)
            except ItemError as error:
                errors = str(error).split(";")
    context = {
        "year": year,
        "ruleset": ruleset,
        "text": text,
        "groups": groups,
        "errors": errors,
    }
    return render(request, "scoring/whatif.html", context)


def thresholds_of(request: AuthedRequest) -> tuple[Thresholds, list[str]]:
    values = Thresholds()
    errors = []
    fields = {
        "units_per_class": int,
        "unit_min_points": Decimal,
        "unit_min_completion": float,
        "officers": int,
        "officer_min_adopted": int,
        "good_items": int,
    }
    for name, kind in fields.items():
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        try:
            value = kind(raw)
        except (ValueError, ArithmeticError):
            errors.append(_("“%(value)s”不是有效的数字。") % {"value": raw})
            continue
        if name == "unit_min_completion":
            value = float(value) / 100
        setattr(values, name, value)
    if "exclude_missed_topics" in request.GET or request.GET.get("applied"):
        values.exclude_missed_topics = request.GET.get("exclude_missed_topics") == "1"
    return values.clamp(), errors


def yearend(request: AuthedRequest) -> HttpResponse:
    """Commendation proposals and the criticism list of a year, with editable thresholds, and
    the downloads (通报 draft, statistics table)."""
    department = department_of(request.user)
    year = year_of(request)
    thresholds, errors = thresholds_of(request)
    today = timezone.localdate()
    context = {
        "year": year,
        "errors": errors,
        "thresholds": thresholds,
        "completion_percent": round(thresholds.unit_min_completion * 100),
        "proposals": commendations(department, year, thresholds),
        "criticism": criticism(department, year, today),
        "months": [month_period(year, m) for m in range(1, 13)],
        "quarters": [quarter_period(year, q) for q in range(1, 5)],
    }
    return render(request, "scoring/yearend.html", context)


def bulletin_download(request: AuthedRequest) -> HttpResponse:
    department = department_of(request.user)
    year = year_of(request)
    period, error = period_of(request, year)
    if error or period.kind not in ("month", "quarter"):
        messages.error(request, error or _("通报按月或按季度生成,请选择月份或季度。"))
        return redirect(f"{reverse('scoring:yearend')}?year={year}")
    data = reports.bulletin_docx(department, period)
    return file_response(data, f"{reports.bulletin_title(department, period)}.docx", DOCX_MIME)


def statistics_download(request: AuthedRequest) -> HttpResponse:
    department = department_of(request.user)
    year = year_of(request)
    period, error = period_of(request, year)
    if error:
        messages.error(request, error)
        return redirect(f"{reverse('scoring:yearend')}?year={year}")
    data = reports.statistics_xlsx(department, unit_ranking(department, period))
    name = _("各单位信息报送和采用情况统计表%(period)s.xlsx") % {"period": period.key}
    return file_response(data, name, reports.XLSX_MIME)


def review(request: AuthedRequest, pk: int) -> HttpResponse:
    """The editor's judgment of one item: kind (常规/参阅类/图片) and rubric scores."""
    item = access_item(request.user, pk)
    current = ItemReview.objects.filter(item=item).first()
    initial = {"kind": current.kind, **current.rubric} if current is not None else {}
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind = data.pop("kind")
        try:
            services.review_record(actor=request.user, item=item, kind=kind, rubric=data)
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("信息评定已保存,计分明细随后更新。"))
            return redirect("scoring:statement", pk=item.unit_id)
    return render(request, "scoring/review.html", {"item": item, "form": form, "review": current})


def unit_classes(request: AuthedRequest) -> HttpResponse:
    """The assessment class (考核类别) of each of the department's units: editors set them
    (乡镇 / 县直部门A、B、C类 / 部机关科室 / 其他单位), leaders read them. A bad value saves
    nothing and the page comes back with what was chosen."""
    department = department_of(request.user)
    is_editor = request.user.has_role(Role.EDITOR)
    units = list(queries.assessed_units(department))
    chosen = {unit.pk: unit.effective_class for unit in units}
    error = ""
    if request.method == "POST":
        if not is_editor:
            return HttpResponse(status=403)
        posted = {unit.pk: request.POST.get(f"class-{unit.pk}", chosen[unit.pk]) for unit in units}
        try:
            changed = services.unit_classes_set(
                actor=request.user, department=department, classes=posted
            )
        except ItemError as problem:
            error, chosen = str(problem), posted
        else:
            messages.success(
                request,
                _("已保存 %(n)d 个单位的考核类别,计分明细随后更新。") % {"n": len(changed)},
            )
            return redirect("scoring:classes")
    rows = [
        (unit, chosen[unit.pk], [(c, CLASS_LABELS[c]) for c in allowed_classes(unit.kind)])
        for unit in units
    ]
    context = {"rows": rows, "error": error, "is_editor": is_editor}
    return render(request, "scoring/classes.html", context, status=400 if error else 200)


def rules(request: AuthedRequest) -> HttpResponse:
    """The year's rule set (考核办法) on a page: editors edit its name and rules (validated,
    nothing saved on any problem, the typed text kept; the ledger is rebuilt after saving),
    department leaders read it. A year without one starts from the latest earlier rule set, or
    the demo rules."""
    department = department_of(request.user)
    year = year_of(request)
    is_editor = request.user.has_role(Role.EDITOR)
    ruleset = queries.ruleset_of(department, year)
    if request.method == "POST":
        if not is_editor:
            return HttpResponse(status=403)
        form = RuleSetPageForm(request.POST)
        if form.is_valid():
            try:
                services.ruleset_save(
                    department=department,
                    year=year,
                    name=form.cleaned_data["name"],
                    rules=form.cleaned_data["rules"],
                    actor=request.user,
                )
            except ItemError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("考核办法已保存,计分明细已按新办法重新计算。"))
                return redirect(f"{reverse('scoring:rules')}?year={year}")
    else:
        name, start = queries.ruleset_start(department, year, ruleset)
        form = RuleSetPageForm(
            initial={"name": name, "rules": json.dumps(start, ensure_ascii=False, indent=2)}
        )
    context = {
        "year": year,
        "ruleset": ruleset,
        "form": form,
        "is_editor": is_editor,
        "classes": Unit.AssessmentClass.choices,
    }
    return render(request, "scoring/rules.html", context, status=400 if form.errors else 200)


def rules_download(request: AuthedRequest) -> HttpResponse:
    """The year's rule set as a file (``?format=yaml`` or JSON), as ``xinbao rules export``."""
    department = department_of(request.user)
    year = year_of(request)
    ruleset = queries.ruleset_of(department, year)
    if ruleset is None:
        messages.error(request, _("%(year)d 年还没有考核办法。") % {"year": year})
        return redirect(f"{reverse('scoring:rules')}?year={year}")
    as_yaml = request.GET.get("format") == "yaml"
    try:
        text = ruleset_io.dump(ruleset_io.document_of(ruleset), as_yaml=as_yaml)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('scoring:rules')}?year={year}")
    suffix, mime = ("yaml", "application/yaml") if as_yaml else ("json", "application/json")
    return file_response(text.encode("utf-8"), f"{ruleset.name}.{suffix}", mime)


@require_POST
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
