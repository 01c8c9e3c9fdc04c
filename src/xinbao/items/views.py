"""Item pages. Each view: access helper first, then one service or query, then render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items import permissions, queries, services
from xinbao.items.attachments import IntegrityViolation, attachment_add, attachment_response
from xinbao.items.diff import revision_pairs
from xinbao.items.docx_extract import extract_docx
from xinbao.items.errors import ItemError
from xinbao.items.forms import (
    AttachmentForm,
    DocxStartForm,
    InboxFilterForm,
    ItemForm,
    MoveForm,
    SecrecyTermsForm,
)
from xinbao.items.models import Item, ItemEvent
from xinbao.items.workflow import EDITOR_EDITABLE, OFFICER_EDITABLE
from xinbao.orgs.models import Role, User
from xinbao.publishing.forms import ExternalAdoptionForm, InstructionForm
from xinbao.publishing.queries import item_timeline
from xinbao.publishing.rules import may_record_recognition
from xinbao.web.access import AuthedRequest, department_of
from xinbao.web.htmx import is_htmx

PAGE_SIZE = 20


def paginate(request: AuthedRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def item_list(request: AuthedRequest) -> HttpResponse:
    page = paginate(request, queries.unit_items(request.user))
    officer = request.user.role == Role.OFFICER
    editable = [str(state) for state in OFFICER_EDITABLE] if officer else []
    return render(request, "items/item_list.html", {"page": page, "editable": editable})


def item_new(request: AuthedRequest) -> HttpResponse:
    unit = request.user.home_unit
    if request.method == "POST":
        form = ItemForm(request.POST, unit=unit)
        if form.is_valid():
            try:
                item = services.item_create(actor=request.user, data=form.to_data())
            except ItemError as error:
                form.add_error(None, str(error))
            else:
                if request.POST.get("then") == "submit":
                    return submit_new(request, item)
                messages.success(request, _("草稿已保存。"))
                return redirect("items:edit", pk=item.pk)
    else:
        # "回复约稿" on a topic page opens this form with the topic chosen (?topic=ID).
        initial = {"authors": [request.user], "topic": request.GET.get("topic")}
        form = ItemForm(unit=unit, initial=initial)
    return render(request, "items/item_form.html", {"form": form, "item": None})


def submit_new(request: AuthedRequest, item: Item) -> HttpResponse:
    """ "Save and submit" on a new item: the draft is kept even when the move is refused."""
    try:
        item = services.transition(item=item, actor=request.user, action="submit")
    except ItemError as error:
        messages.error(request, _("草稿已保存,但未能报送:%(error)s") % {"error": error})
        return redirect("items:edit", pk=item.pk)
    messages.success(
        request, _("已报送:信息现为“%(state)s”。") % {"state": item.get_state_display()}
    )
    return redirect("items:list")


def item_new_from_docx(request: AuthedRequest) -> HttpResponse:
    """Upload a .docx; its title and paragraphs fill a new item form (nothing saved yet)."""
    unit = request.user.home_unit
    post = request.method == "POST"
    upload_form = DocxStartForm(request.POST, request.FILES) if post else DocxStartForm()
    if post and upload_form.is_valid():
        try:
            extracted = extract_docx(upload_form.cleaned_data["file"].read())
        except ItemError as error:
            upload_form.add_error("file", str(error))
        else:
            form = ItemForm(
                unit=unit,
                initial={
                    "title": extracted.title,
                    "body": extracted.body,
                    "authors": [request.user],
                },
            )
            messages.info(request, _("已从 Word 文件读取标题和正文,请核对后保存。"))
            return render(request, "items/item_form.html", {"form": form, "item": None})
    return render(request, "items/item_from_docx.html", {"upload_form": upload_form})


def item_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    item = queries.access_item(request.user, pk)
    return render(request, "items/item_detail.html", detail_context(request, item))


def detail_context(request: AuthedRequest, item: Item, **extra: Any) -> dict[str, Any]:
    events, revisions, attachments = queries.item_detail_related(item)
    user = request.user
    return {
        "item": item,
        "events": events,
        "revisions": revisions,
        "revision_pairs": revision_pairs(revisions),
        "attachments": attachments,
        "moves": services.available_moves(item=item, actor=user),
        "can_edit": permissions.can_edit(user, item),
        "attachment_form": AttachmentForm(),
        "attachment_limit": settings.XINBAO_MAX_ATTACHMENT_BYTES,
        "attachment_most": settings.XINBAO_MAX_ATTACHMENTS_PER_ITEM,
        "secrecy": extra.pop("secrecy", None)
        or queries.secrecy_status(item, attachments=attachments),
        **recognition_context(user, item, events),
        **extra,
    }


def recognition_context(user: User, item: Item, events: list[ItemEvent]) -> dict[str, Any]:
    """The item's whole story (workflow moves, outlets at every level, forwardings,
    instructions), and for an editor who may record recognition, the forms to do so."""
    context: dict[str, Any] = {"timeline": item_timeline(item, events)}
    # The assessment judgment (kind and rubric, scoring.views.review) is the receiving
    # department's editors'.
    context["can_score_review"] = user.role == Role.EDITOR and item.department_id == user.unit_id
    if user.role == Role.EDITOR and may_record_recognition(user.home_unit, item):
        context["adoption_form"] = ExternalAdoptionForm(prefix="adoption")
        context["instruction_form"] = InstructionForm(prefix="instruction")
    return context


def item_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Officer's editor in draft/returned; editor's review page in the review states.

    One form carries the text and, optionally, a move to perform after saving (``then``), so
    "save and submit" or "edit and adopt" never drops unsaved text. The save and the move are one
    change: a refused move undoes the save. A failed save or move changes nothing and re-renders
    the form with exactly what was typed and the version it was typed against, so saving it
    again is refused again while someone else's save is newer.
    """
    item = queries.access_item(request.user, pk)
    user = request.user
    if not permissions.can_edit(user, item):
        messages.info(request, _("当前状态下不能修改这条信息。"))
        return redirect("items:detail", pk=item.pk)
    editor_mode = permissions.can_edit_as_editor(user, item)
    initial = ItemForm.initial_for(item)
    comment = request.POST.get("comment", "")
    version: int | str = item.version
    if request.method == "POST":
        form = ItemForm(
            request.POST, initial=initial, unit=item.unit, editor_mode=editor_mode, item=item
        )
        then = "" if is_htmx(request) else request.POST.get("then", "")
        with transaction.atomic():
            ok = form.is_valid() and (not form.has_changed() or save_form(request, form, item))
            if ok and then:
                try:
                    item = services.transition(
                        item=item,
                        actor=user,
                        action=then,
                        comment=comment,
                        secrecy_name=request.POST.get("secrecy_name", ""),
                    )
                except ItemError as error:
                    form.add_error(None, str(error))
                    ok = False
                    transaction.set_rollback(True)
        version = item.version if ok else request.POST.get("version", "")
        if is_htmx(request):
            return render(
                request, "items/_save_status.html", {"form": form, "saved": ok, "version": version}
            )
        if ok and then:
            messages.success(
                request,
                _("操作成功:信息现为“%(state)s”。") % {"state": item.get_state_display()},
            )
            return redirect(next_page_after_move(request, item))
        if ok:
            messages.success(request, _("已保存。"))
            return redirect("items:edit", pk=item.pk)
        item = queries.access_item(user, item.pk)  # as it is after the rollback
        typed = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        # The 保密 findings of the text as typed, which is what the officer is about to submit.
        secrecy = queries.secrecy_status(
            item, title=typed.get("title"), body=typed.get("body"), attachments=None
        )
    else:
        form = ItemForm(initial=initial, unit=item.unit, editor_mode=editor_mode, item=item)
        secrecy = None
    template = "items/review.html" if editor_mode else "items/item_form.html"
    context = detail_context(
        request,
        item,
        form=form,
        comment=comment,
        version=version,
        secrecy=secrecy,
        secrecy_name=request.POST.get("secrecy_name", ""),
    )
    return render(request, template, context)


def save_form(request: AuthedRequest, form: ItemForm, item: Item) -> bool:
    """Save the form through the service; on refusal put the message on the form."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        form.add_error(None, _("页面已过期,请复制内容后刷新页面。"))
        return False
    try:
        updated = services.item_update(
            item=item, actor=request.user, data=form.to_data(), version=version
        )
    except ItemError as error:
        form.add_error(None, str(error))
        return False
    item.version, item.state = updated.version, updated.state
    return True


@require_POST
def item_move(request: AuthedRequest, pk: int) -> HttpResponse:
    form = MoveForm(request.POST)
    try:
        # The item is read once, locked, for both the access check and the move.
        with transaction.atomic():
            item = queries.access_item(request.user, pk, lock=True)
            if not form.is_valid():
                messages.error(request, _("意见不能超过 2000 字,姓名不能超过 150 字。"))
                return redirect("items:detail", pk=item.pk)
            item = services.transition(
                item=item,
                actor=request.user,
                action=form.cleaned_data["action"],
                comment=form.cleaned_data["comment"],
                secrecy_name=form.cleaned_data["secrecy_name"],
                locked=True,
            )
    except ItemError as error:
        messages.error(request, str(error))
        context = detail_context(
            request,
            item,
            move_comment=form.cleaned_data["comment"],
            failed_action=form.cleaned_data["action"],
            secrecy_name=form.cleaned_data["secrecy_name"],
        )
        return render(request, "items/item_detail.html", context, status=error.status)
    messages.success(
        request, _("操作成功:信息现为“%(state)s”。") % {"state": item.get_state_display()}
    )
    return redirect(next_page_after_move(request, item))


def next_page_after_move(request: AuthedRequest, item: Item) -> str:
    role = request.user.role
    if role == Role.EDITOR:
        return "items:inbox"
    if role == Role.UNIT_LEADER:
        return "items:signoff"
    return "items:list"


@require_POST
def item_attach(request: AuthedRequest, pk: int) -> HttpResponse:
    item = queries.access_item(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
    else:
        try:
            attachment_add(item=item, actor=request.user, upload=form.cleaned_data["file"])
        except ItemError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("附件已上传。"))
    return redirect(
        "items:edit" if permissions.can_edit(request.user, item) else "items:detail", pk=item.pk
    )


def attachment_download(request: AuthedRequest, pk: int, attachment_id: int) -> HttpResponse:
    item = queries.access_item(request.user, pk)
    attachment = item.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    try:
        return attachment_response(attachment=attachment, actor=request.user)
    except IntegrityViolation as error:
        messages.error(request, str(error))
        context = detail_context(request, item)
        return render(request, "items/item_detail.html", context, status=error.status)


def signoff(request: AuthedRequest) -> HttpResponse:
    page = paginate(request, queries.signoff_queue(request.user))
    return render(request, "items/signoff.html", {"page": page})


def inbox(request: AuthedRequest) -> HttpResponse:
    department = request.user.home_unit
    filter_form = InboxFilterForm(request.GET or None, department=department)
    page = paginate(request, queries.inbox(request.user, filter_form.to_filter()))
    page.object_list = queries.inbox_items(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "items/inbox.html",
        {
            "page": page,
            "filter_form": filter_form,
            "query": query.urlencode(),
            "reviewable": [str(state) for state in EDITOR_EDITABLE],
        },
    )


def secrecy_terms(request: AuthedRequest) -> HttpResponse:
    """The internal terms (内部用语) of the 保密 self-check of the editor's own department."""
    user = request.user
    department = department_of(user)
    terms = queries.secrecy_terms(department.pk)
    form = SecrecyTermsForm(request.POST or None, initial={"terms": "\n".join(terms)})
    if request.method == "POST" and form.is_valid():
        try:
            services.secrecy_terms_update(
                department=department, actor=user, terms=form.cleaned_data["terms"]
            )
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("内部用语已保存。"))
            return redirect("items:secrecy_terms")
    context = {"form": form, "department": department}
    return render(request, "items/secrecy_terms.html", context)
