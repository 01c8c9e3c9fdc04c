"""The officer team's pages: roster, history, training, exemplary items, portfolios. Thin: each
parses, calls one access helper and one service or query, renders."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items.errors import ItemError
from xinbao.items.models import Category, Item
from xinbao.orgs import forms, queries, services
from xinbao.orgs.certificate import certificate_docx, certificate_filename
from xinbao.orgs.models import DEPARTMENT_ROLES, Role, Unit, User
from xinbao.orgs.permissions import (
    is_department_reader,
    is_editor_of,
    masked_phone,
    phone_for,
    sees_full_contact,
)
from xinbao.web.access import AuthedRequest, department_of
from xinbao.web.downloads import DOCX_MIME, file_response

PAGE_SIZE = 20


def paginate(request: AuthedRequest, rows: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(rows, size).get_page(request.GET.get("page"))


def year_of(request: AuthedRequest) -> int:
    value = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(value) if value.isdigit() and 2000 <= int(value) <= this_year + 1 else this_year


def kind_of(request: AuthedRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in Unit.Kind.values and kind != Unit.Kind.ORG_DEPT else ""


UNIT_KINDS = [(k, v) for k, v in Unit.Kind.choices if k != Unit.Kind.ORG_DEPT]


# --- roster -----------------------------------------------------------------------------------


def roster(request: AuthedRequest) -> HttpResponse:
    department = department_of(request.user)
    kind = kind_of(request)
    context = {
        "page": paginate(request, queries.roster_units(department, kind)),
        "query": f"kind={kind}" if kind else "",
        "kind": kind,
        "kinds": UNIT_KINDS,
        "lacking": queries.units_lacking_officers(department),
        "lacking_limit": queries.LACKING_LIMIT,
    }
    return render(request, "orgs/roster.html", context)


def my_unit_roster(request: AuthedRequest) -> HttpResponse:
    return redirect("orgs:unit_roster", pk=request.user.home_unit.pk)


def unit_roster(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = queries.access_roster_unit(request.user, pk)
    full = sees_full_contact(request.user, unit)
    officers = queries.unit_officers(unit)
    for officer in officers:
        officer.shown_phone = officer.contact_phone if full else masked_phone(officer.contact_phone)  # type: ignore[attr-defined]
    context = {
        "unit": unit,
        "officers": officers,
        "full_contact": full,
        "is_editor": is_editor_of(request.user, unit.department_id),
        "is_department": is_department_reader(request.user, unit.department_id),
        "appoint_form": forms.AppointForm(),
    }
    return render(request, "orgs/unit_roster.html", context)


@require_POST
def officer_appoint(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = queries.access_roster_unit(request.user, pk)
    form = forms.AppointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        officer = User.objects.filter(username__iexact=data["username"]).first()
        try:
            if officer is None:
                raise ItemError(_("没有这个账号:%(name)s") % {"name": data["username"]})
            services.officer_appoint(
                actor=request.user,
                officer=officer,
                unit=unit,
                rank=data["rank"],
                post=data["post"],
                appointed_on=data["appointed_on"],
                phone=data["phone"] or None,
            )
        except ItemError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("已任命。"))
            return redirect("orgs:unit_roster", pk=unit.pk)
    else:
        messages.error(request, _("任命未保存:请填写账号、类别和任命日期。"))
    context = {
        "unit": unit,
        "officers": queries.unit_officers(unit),
        "full_contact": True,
        "is_editor": True,
        "is_department": True,
        "appoint_form": form,
    }
    return render(request, "orgs/unit_roster.html", context, status=400)


def access_managed_officer(user: User, pk: int) -> User:
    """An officer of the units of ``user``'s department, ``user`` being its editor; 404 for
    everyone else."""
    officer = User.objects.filter(pk=pk, role=Role.OFFICER).select_related("unit").first()
    if officer is None or officer.unit is None:
        raise Http404
    if is_editor_of(user, officer.unit.department_id):
        return officer
    raise Http404


def officer_manage(request: AuthedRequest, pk: int) -> HttpResponse:
    officer = access_managed_officer(request.user, pk)
    unit = officer.home_unit
    bound: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        status, bound = officer_action(request, officer, action)
        if status == 302:
            return redirect("orgs:officer_manage", pk=officer.pk)
    department_id = unit.department_id
    context = {
        "officer": officer,
        "phone": phone_for(request.user, officer),
        "history": queries.officer_history(officer),
        "move_form": bound.get("move") or forms.MoveForm(department_id=department_id),
        "rank_form": bound.get("rank")
        or forms.RankForm(initial={"rank": officer.officer_rank, "post": officer.post}),
        "leave_form": bound.get("leave") or forms.LeaveForm(),
    }
    return render(request, "orgs/officer_manage.html", context, status=status)


def officer_action(
    request: AuthedRequest, officer: User, action: str
) -> tuple[int, dict[str, Any]]:
    """Run one of the move/rank/leave forms; (302, {}) on success, (400, bound form) when not."""
    department_id = officer.home_unit.department_id
    form: Any
    if action == "move":
        form = forms.MoveForm(request.POST, department_id=department_id)
    elif action == "rank":
        form = forms.RankForm(request.POST)
    elif action == "leave":
        form = forms.LeaveForm(request.POST)
    else:
        raise Http404
    if not form.is_valid():
        messages.error(request, _("未保存:请检查下面标出的内容。"))
        return 400, {action: form}
    data = form.cleaned_data
    try:
        if action == "move":
            services.officer_move(
                actor=request.user,
                officer=officer,
                to_unit=data["to_unit"],
                occurred_on=data["occurred_on"],
                note=data["note"],
            )
        elif action == "rank":
            services.officer_rank_change(
                actor=request.user,
                officer=officer,
                rank=data["rank"],
                post=data["post"],
                occurred_on=data["occurred_on"],
                note=data["note"],
            )
        else:
            services.officer_leave(
                actor=request.user,
                officer=officer,
                occurred_on=data["occurred_on"],
                note=data["note"],
            )
    except ItemError as error:
        messages.error(request, str(error))
        return 400, {action: form}
    messages.success(request, _("已办理,履历已记录。"))
    return 302, {}


# --- training ---------------------------------------------------------------------------------


def trainings(request: AuthedRequest) -> HttpResponse:
    department_id = queries.department_id_of(request.user)
    form = forms.TrainingForm(request.POST or None)
    is_editor = is_editor_of(request.user, department_id)
    if request.method == "POST":
        if not is_editor:
            raise Http404
        if form.is_valid():
            try:
                session = services.training_create(actor=request.user, **form.cleaned_data)
            except ItemError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("培训已登记。"))
                return redirect("orgs:training", pk=session.pk)
        else:
            messages.error(request, _("培训未保存:请填写日期和主题。"))
    context = {
        "page": paginate(request, queries.trainings_of(department_id)),
        "form": form,
        "is_editor": is_editor,
        "is_department": request.user.role in DEPARTMENT_ROLES,
    }
    return render(request, "orgs/trainings.html", context, status=400 if form.errors else 200)


def training(request: AuthedRequest, pk: int) -> HttpResponse:
    session = queries.access_training(request.user, pk)
    is_editor = is_editor_of(request.user, session.department_id)
    material_form = forms.MaterialForm()
    status = 200
    if request.method == "POST":
        if not is_editor:
            raise Http404
        status, material_form = training_post(request, session)
        if status == 302:
            return redirect("orgs:training", pk=session.pk)
    attendance = queries.training_attendance(session)
    is_department = request.user.role in DEPARTMENT_ROLES
    if not is_department:  # officers and unit leaders: their own unit's lines only
        attendance = [a for a in attendance if a.unit_id == request.user.unit_id]
    marked = {a.officer_id: a.status for a in attendance}
    candidates = (
        list(
            User.objects.filter(
                role=Role.OFFICER, is_active=True, unit__department_id=session.department_id
            )
            .select_related("unit")
            .order_by("unit__sort_order", "unit__code", "officer_rank", "full_name")
        )
        if is_editor
        else []
    )
    context = {
        "session": session,
        "materials": list(session.materials.order_by("id")),
        "attendance": attendance,
        "is_editor": is_editor,
        "material_form": material_form,
        "candidates": [(o, marked.get(o.pk, "")) for o in candidates],
        "statuses": forms.STATUS_CHOICES,
    }
    return render(request, "orgs/training.html", context, status=status)


def training_post(request: AuthedRequest, session: Any) -> tuple[int, Any]:
    if request.POST.get("action") == "attendance":
        marks = {
            int(key[7:]): str(value)
            for key, value in request.POST.items()
            if key.startswith("status_") and key[7:].isdigit() and value
        }
        try:
            services.attendance_record(actor=request.user, session=session, marks=marks)
        except ItemError as error:
            messages.error(request, str(error))
            return 400, forms.MaterialForm()
        messages.success(request, _("出勤已登记。"))
        return 302, None
    form = forms.MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("材料未保存:请检查链接。"))
        return 400, form
    try:
        services.training_material_add(
            actor=request.user,
            session=session,
            title=form.cleaned_data["title"],
            url=form.cleaned_data["url"],
            upload=form.cleaned_data["upload"],
        )
    except ItemError as error:
        messages.error(request, str(error))
        return 400, form
    messages.success(request, _("材料已添加。"))
    return 302, None


def training_material(request: AuthedRequest, pk: int, material_pk: int) -> FileResponse:
    """A material file; ``access_training`` answers 404 outside the session's department."""
    session = queries.access_training(request.user, pk)
    material = session.materials.filter(pk=material_pk).exclude(file="").first()
    if material is None:
        raise Http404
    return FileResponse(
        material.file.open("rb"),
        as_attachment=True,
        filename=material.original_name,
        content_type=material.content_type,
    )


def training_missed(request: AuthedRequest) -> HttpResponse:
    department = department_of(request.user)
    form = forms.PeriodForm(request.GET or None)
    today = timezone.localdate()
    date_from, date_to = datetime.date(today.year, 1, 1), today
    if form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
    context = {
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "rows": queries.units_missing_training(department, date_from, date_to),
    }
    return render(request, "orgs/training_missed.html", context)


# --- exemplary items --------------------------------------------------------------------------


def exemplary_list(request: AuthedRequest) -> HttpResponse:
    search = forms.ExemplarySearchForm(request.GET or None)
    category: Category | None = None
    keywords = ""
    if search.is_valid():
        category, keywords = search.cleaned_data["category"], search.cleaned_data["q"]
    rows = queries.exemplary_search(
        request.user, category_id=category.pk if category else None, keywords=keywords
    )
    department_id = queries.department_id_of(request.user)
    is_editor = is_editor_of(request.user, department_id)
    choose = forms.ExemplaryChooseForm(request.POST or None)
    if request.method == "POST":
        if not is_editor:
            raise Http404
        if choose.is_valid():
            item = Item.objects.filter(
                pk=choose.cleaned_data["item_id"], department_id=department_id
            ).first()
            try:
                if item is None:
                    raise ItemError(_("本部门没有这个编号的信息。"))
                exemplary = services.exemplary_choose(
                    actor=request.user, item=item, commentary=choose.cleaned_data["commentary"]
                )
            except ItemError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("已选入优秀信息范文。"))
                return redirect("orgs:exemplary", pk=exemplary.pk)
        else:
            messages.error(request, _("未选入:请填写信息编号和点评。"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "search": search,
        "page": paginate(request, rows),
        "query": query.urlencode(),
        "is_editor": is_editor,
        "choose": choose,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/exemplary_list.html", context, status=status)


def exemplary(request: AuthedRequest, pk: int) -> HttpResponse:
    found = queries.access_exemplary(request.user, pk)
    context = {"exemplary": found, "is_editor": is_editor_of(request.user, found.department_id)}
    return render(request, "orgs/exemplary.html", context)


@require_POST
def exemplary_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    found = queries.access_exemplary(request.user, pk)
    try:
        services.exemplary_remove(actor=request.user, exemplary=found)
    except ItemError as error:
        messages.error(request, str(error))
        return redirect("orgs:exemplary", pk=pk)
    messages.success(request, _("已移出范文库。"))
    return redirect("orgs:exemplary_list")


# --- portfolio --------------------------------------------------------------------------------


def my_portfolio(request: AuthedRequest) -> HttpResponse:
    return redirect("orgs:portfolio", pk=request.user.pk)


PORTFOLIO_YEARS = 3


def portfolio(request: AuthedRequest, pk: int) -> HttpResponse:
    officer = queries.access_officer(request.user, pk)
    year = year_of(request)
    years = list(range(year - PORTFOLIO_YEARS + 1, year + 1))
    figures = queries.officer_year_figures([officer.pk], years)
    empty = queries.YearFigures()
    unit = officer.home_unit
    context = {
        "officer": officer,
        "phone": phone_for(request.user, officer),
        "year": year,
        "by_year": [(y, figures.get((officer.pk, y), empty)) for y in reversed(years)],
        "class_rank": queries.officer_class_rank(officer, year),
        "page": paginate(request, queries.officer_items(request.user, officer)),
        "query": f"year={year}",
        "history": queries.officer_history(officer),
        "training": queries.training_record(officer),
        "edited": queries.editor_changes(request.user, officer),
        "is_department": is_department_reader(request.user, unit.department_id),
    }
    return render(request, "orgs/portfolio.html", context)


def certificate(request: AuthedRequest, pk: int) -> HttpResponse:
    officer = queries.access_officer(request.user, pk)
    department = department_of(request.user)
    year = year_of(request)
    data = certificate_docx(officer, year, department)
    return file_response(data, certificate_filename(officer, year), DOCX_MIME)


COMPARE_MAX_YEARS = 5


def compare(request: AuthedRequest) -> HttpResponse:
    department = department_of(request.user)
    year = year_of(request)
    span = request.GET.get("span", "3")
    count = int(span) if span.isdigit() and 1 <= int(span) <= COMPARE_MAX_YEARS else 3
    years = list(range(year - count + 1, year + 1))
    kind = kind_of(request)
    rows = queries.officer_comparison(department, years, kind)
    context = {
        "years": years,
        "year": year,
        "span": count,
        "kind": kind,
        "kinds": UNIT_KINDS,
        "page": paginate(request, rows, 50),
        "query": f"year={year}&span={count}&kind={kind}",
    }
    return render(request, "orgs/compare.html", context)
