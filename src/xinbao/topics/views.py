"""Pages of topics (约稿), key work (工作要点) and timeliness (时效). Each view: role gate and
access helper first, then one service or query, then render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items.errors import ItemError
from xinbao.items.queries import access_item
from xinbao.orgs.models import Role
from xinbao.topics import queries, services
from xinbao.topics.forms import AreaForm, DeclineForm, TopicForm
from xinbao.topics.models import KeyWorkArea
from xinbao.topics.templatetags.topics_tags import key_work_context
from xinbao.web.access import AuthedRequest
from xinbao.web.htmx import is_htmx

DEPARTMENT = (Role.EDITOR, Role.DEPT_LEADER)
PAGE_SIZE = 20


def topic_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    page: Any
    if user.role in DEPARTMENT:
        page = Paginator(queries.department_topics(user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        template = "topics/topic_list.html"
    else:
        page = Paginator(queries.unit_targets(user), PAGE_SIZE).get_page(request.GET.get("page"))
        template = "topics/unit_topic_list.html"
    return render(request, template, {"page": page, "now": timezone.now()})


def topic_new(request: AuthedRequest) -> HttpResponse:
    department = request.user.home_unit
    form = TopicForm(request.POST or None, department=department)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_create(actor=request.user, data=form.to_data())
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("约稿已发出,共 %(n)d 个单位。") % {"n": topic.targets.count()}
            )
            return redirect("topics:detail", pk=topic.pk)
    return render(request, "topics/topic_form.html", {"form": form})


def topic_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Department staff get the board; a target unit gets the topic, its answers, and the
    first opening by the unit is recorded as read."""
    topic = queries.access_topic(request.user, pk)
    now = timezone.now()
    if request.user.role in DEPARTMENT:
        board = queries.topic_board(topic, now)
        return render(request, "topics/board.html", {"topic": topic, "board": board, "now": now})
    services.topic_mark_read(topic=topic, actor=request.user, now=now)
    return render(request, "topics/topic_detail.html", unit_context(request, topic, now))


def unit_context(request: AuthedRequest, topic: Any, now: Any, **extra: Any) -> dict[str, Any]:
    user = request.user
    target = queries.target_of(topic, user.unit_id)
    return {
        "topic": topic,
        "target": target,
        "state": target.board_state(topic.deadline, now) if target else None,
        "answers": queries.unit_answers(topic, user.home_unit.pk),
        "decline_form": extra.pop("decline_form", None) or DeclineForm(),
        "now": now,
        **extra,
    }


@require_POST
def topic_decline(request: AuthedRequest, pk: int) -> HttpResponse:
    topic = queries.access_topic(request.user, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.topic_decline(
                topic=topic, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已说明不报的原因。"))
            return redirect("topics:detail", pk=topic.pk)
    context = unit_context(request, topic, timezone.now(), decline_form=form)
    return render(request, "topics/topic_detail.html", context, status=400)


@require_POST
def topic_close(request: AuthedRequest, pk: int) -> HttpResponse:
    topic = queries.access_topic(request.user, pk)
    try:
        services.topic_close(topic=topic, actor=request.user)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("约稿已结束,不再接收回复。"))
    return redirect("topics:detail", pk=topic.pk)


# ----------------------------------------------------------------------------------------------
# Key work
# ----------------------------------------------------------------------------------------------


def chosen_year(request: AuthedRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def key_work(request: AuthedRequest) -> HttpResponse:
    department = request.user.home_unit
    year = chosen_year(request)
    form = AreaForm(request.POST or None, department=department, year=year)
    if request.method == "POST":
        if request.user.role != Role.EDITOR:
            messages.error(request, _("只有编辑可以维护工作要点。"))
            return redirect(f"{request.path}?year={year}")
        if form.is_valid():
            try:
                area = services.key_work_area_save(actor=request.user, data=form.to_data())
            except ItemError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("已添加“%(name)s”。") % {"name": area.name})
                return redirect(f"{request.path}?year={year}")
    years = sorted(set(queries.key_work_years(department)) | {timezone.localdate().year, year})
    context = {
        "tree": queries.key_work_tree(department, year),
        "year": year,
        "years": years[::-1],
        "form": form,
    }
    return render(request, "topics/key_work.html", context)


def key_work_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    area = queries.access_area(request.user, pk)
    department = request.user.home_unit
    initial = {
        "name": area.name,
        "parent": area.parent_id,
        "description": area.description,
        "sort_order": area.sort_order,
        "is_active": area.is_active,
    }
    form = AreaForm(
        request.POST or None, initial=initial, department=department, year=area.year, exclude=area
    )
    back = f"{reverse('topics:key_work')}?year={area.year}"
    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                services.key_work_area_delete(actor=request.user, area=area)
                messages.success(request, _("已删除。"))
                return redirect(back)
            if form.is_valid():
                services.key_work_area_save(actor=request.user, data=form.to_data(), area=area)
                messages.success(request, _("已保存。"))
                return redirect(back)
        except ItemError as error:
            form.add_error(None, str(error))
    return render(request, "topics/key_work_edit.html", {"area": area, "form": form})


def coverage(request: AuthedRequest) -> HttpResponse:
    department = request.user.home_unit
    year = chosen_year(request)
    context = {
        "coverage": queries.coverage(department, year),
        "year": year,
        "years": sorted(set(queries.key_work_years(department)) | {year}, reverse=True),
    }
    return render(request, "topics/coverage.html", context)


def item_key_work(request: AuthedRequest, pk: int) -> HttpResponse:
    """Set an item's key-work areas (POST), or show the card (GET). With htmx the card is
    swapped in place, so a half-written item form beside it keeps its text."""
    item = access_item(request.user, pk)
    error = ""
    if request.method == "POST":
        chosen = [v for v in request.POST.getlist("areas") if v.isdigit()]
        areas = list(KeyWorkArea.objects.filter(pk__in=chosen))
        try:
            services.item_key_work_set(item=item, actor=request.user, areas=areas)
        except ItemError as caught:
            error = str(caught)
        if not is_htmx(request):
            if error:
                messages.error(request, error)
            else:
                messages.success(request, _("工作要点已保存。"))
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("items:detail", kwargs={"pk": item.pk})
            return redirect(target)
    context = key_work_context(
        request.user, item, saved=request.method == "POST" and not error, error=error
    )
    context["next"] = reverse("items:detail", kwargs={"pk": item.pk})
    return render(request, "topics/_key_work_card.html", context, status=400 if error else 200)


# ----------------------------------------------------------------------------------------------
# Timeliness
# ----------------------------------------------------------------------------------------------


def timeliness(request: AuthedRequest) -> HttpResponse:
    rows = queries.timeliness_by_unit(request.user.home_unit, timezone.now())
    return render(request, "topics/timeliness.html", {"rows": rows})
