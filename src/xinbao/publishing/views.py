"""Editor pages for publications, issues, forwarding and recognition. Thin: access helper, one
service or query, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items.errors import ItemError
from xinbao.items.queries import access_item
from xinbao.orgs.models import Role
from xinbao.publishing import queries, services
from xinbao.publishing.docx import issue_docx as render_docx
from xinbao.publishing.docx import issue_filename
from xinbao.publishing.forms import (
    CorrectionForm,
    EntryForm,
    ExternalAdoptionForm,
    ForwardForm,
    ForwardingDecisionForm,
    InstructionForm,
    IssueMetaForm,
)
from xinbao.publishing.pdf import PdfError
from xinbao.publishing.pdf import issue_pdf as render_pdf
from xinbao.web.access import AuthedRequest
from xinbao.web.downloads import DOCX_MIME, file_response


def form_errors(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def publication_list(request: AuthedRequest) -> HttpResponse:
    publications = list(queries.publications_for(request.user))
    latest = {
        p.pk: list(queries.issues_of(p).select_related("publication")[:5]) for p in publications
    }
    rows = [(p, latest[p.pk]) for p in publications]
    return render(request, "publishing/publication_list.html", {"rows": rows})


def publication_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    publication = queries.access_publication(request.user, pk)
    page = Paginator(queries.issues_of(publication), 20).get_page(request.GET.get("page"))
    return render(
        request, "publishing/publication_detail.html", {"publication": publication, "page": page}
    )


@require_POST
def issue_new(request: AuthedRequest, pk: int) -> HttpResponse:
    publication = queries.access_publication(request.user, pk)
    try:
        issue = services.issue_create(publication=publication, actor=request.user)
    except ItemError as error:
        messages.error(request, str(error))
        return redirect("publishing:publications")
    return redirect("publishing:issue", pk=issue.pk)


def issue_detail(request: AuthedRequest, pk: int, **extra: Any) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    entries = extra.pop("entries", None) or queries.issue_entries(issue)
    search = request.GET.get("q", "")
    editable = not issue.is_frozen and request.user.role == Role.EDITOR
    context = {
        "issue": issue,
        "entries": [
            (
                e,
                extra.get("entry_forms", {}).get(e.pk)
                or EntryForm(
                    initial={
                        "headline": e.headline,
                        "text": e.text,
                        "editor_note": e.editor_note,
                        "source_line": e.source_line,
                    }
                ),
            )
            for e in entries
        ],
        "editable": editable,
        "meta_form": extra.get("meta_form")
        or IssueMetaForm(
            initial={
                "title": issue.title,
                "issue_date": issue.issue_date,
                "compiler": issue.compiler,
                "signer": issue.signer,
                "distribution": issue.distribution,
            }
        ),
        "candidates": queries.carriable_items(issue, search) if editable else [],
        "search": search,
        "correction_form": CorrectionForm(),
    }
    return render(request, "publishing/issue_detail.html", context, status=extra.get("status", 200))


@require_POST
def issue_meta(request: AuthedRequest, pk: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    form = IssueMetaForm(request.POST)
    if form.is_valid():
        try:
            services.issue_update_meta(issue=issue, actor=request.user, **form.cleaned_data)
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已保存本期信息。"))
            return redirect("publishing:issue", pk=issue.pk)
    messages.error(request, form_errors(form))
    return issue_detail(request, pk, meta_form=form, status=400)


@require_POST
def issue_add(request: AuthedRequest, pk: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    try:
        item = access_item(request.user, request.POST.get("item", ""))
        services.issue_add_item(issue=issue, item=item, actor=request.user)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已编入本期。"))
    return redirect("publishing:issue", pk=issue.pk)


@require_POST
def entry_edit(request: AuthedRequest, pk: int, entry_id: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    entry = issue.entries.filter(pk=entry_id).select_related("item__unit").first()
    if entry is None:
        return redirect("publishing:issue", pk=issue.pk)
    form = EntryForm(request.POST)
    if form.is_valid():
        try:
            services.entry_update(entry=entry, actor=request.user, **form.cleaned_data)
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已保存《%(title)s》。") % {"title": entry.headline})
            return redirect("publishing:issue", pk=issue.pk)
    messages.error(request, form_errors(form))
    return issue_detail(request, pk, entry_forms={entry.pk: form}, status=400)


@require_POST
def entry_remove(request: AuthedRequest, pk: int, entry_id: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    entry = issue.entries.filter(pk=entry_id).first()
    if entry is not None:
        try:
            services.issue_remove_entry(entry=entry, actor=request.user)
        except ItemError as error:
            messages.error(request, str(error))
    return redirect("publishing:issue", pk=issue.pk)


@require_POST
def entry_move(request: AuthedRequest, pk: int, entry_id: int) -> HttpResponse:
    """Move one entry up or down by one place."""
    issue = queries.access_issue(request.user, pk)
    order = [e.pk for e in queries.issue_entries(issue)]
    if entry_id in order:
        i = order.index(entry_id)
        j = i - 1 if request.POST.get("direction") == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
            try:
                services.issue_reorder(issue=issue, actor=request.user, entry_ids=order)
            except ItemError as error:
                messages.error(request, str(error))
    return redirect("publishing:issue", pk=issue.pk)


@require_POST
def issue_publish(request: AuthedRequest, pk: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    try:
        issue = services.issue_publish(issue=issue, actor=request.user)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("已发布:%(label)s %(total)s。")
            % {"label": issue.number_label, "total": issue.total_label},
        )
    return redirect("publishing:issue", pk=issue.pk)


@require_POST
def issue_correct(request: AuthedRequest, pk: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写更正原因。"))
        return redirect("publishing:issue", pk=issue.pk)
    try:
        correction = services.issue_correct(
            issue=issue, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ItemError as error:
        messages.error(request, str(error))
        return redirect("publishing:issue", pk=issue.pk)
    messages.success(request, _("已建立更正稿,修改后请重新发布。"))
    return redirect("publishing:issue", pk=correction.pk)


def issue_docx(request: AuthedRequest, pk: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    return file_response(render_docx(issue), issue_filename(issue, ".docx"), DOCX_MIME)


def issue_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    issue = queries.access_issue(request.user, pk)
    try:
        data = render_pdf(issue)
    except PdfError as error:
        messages.error(request, str(error))
        return redirect("publishing:issue", pk=issue.pk)
    return file_response(data, issue_filename(issue, ".pdf"), "application/pdf")


@require_POST
def item_forward(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access_item(request.user, pk)
    form = ForwardForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        forwarding = services.item_forward(item=item, actor=request.user, note=note)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已转报%(dept)s。") % {"dept": forwarding.to_department})
    return redirect("items:detail", pk=item.pk)


def forwarded_list(request: AuthedRequest) -> HttpResponse:
    page = Paginator(queries.forwarded_inbox(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "publishing/forwarded_list.html", {"page": page})


@require_POST
def forwarding_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    forwarding = queries.access_forwarding(request.user, pk)
    form = ForwardingDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("publishing:forwarded")
    try:
        services.forwarding_decide(
            forwarding=forwarding,
            actor=request.user,
            adopt=form.cleaned_data["decision"] == "adopt",
            comment=form.cleaned_data["comment"],
        )
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已处理。"))
    return redirect("publishing:forwarded")


@require_POST
def external_adoption_new(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access_item(request.user, pk)
    form = ExternalAdoptionForm(request.POST, request.FILES, prefix="adoption")
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("items:detail", pk=item.pk)
    try:
        services.external_adoption_record(item=item, actor=request.user, **form.cleaned_data)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已登记上级采用。"))
    return redirect("items:detail", pk=item.pk)


@require_POST
def instruction_new(request: AuthedRequest, pk: int) -> HttpResponse:
    item = access_item(request.user, pk)
    form = InstructionForm(request.POST, prefix="instruction")
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("items:detail", pk=item.pk)
    try:
        services.instruction_record(item=item, actor=request.user, **form.cleaned_data)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已登记领导批示。"))
    return redirect("items:detail", pk=item.pk)


def instruction_feedback(request: AuthedRequest, pk: int, instruction_pk: int) -> HttpResponse:
    """批示反馈: the instruction, its due date and the unit's report (form for those who may)."""
    from django.shortcuts import get_object_or_404

    from xinbao.publishing.forms import InstructionFeedbackForm
    from xinbao.publishing.models import Instruction

    item = access_item(request.user, pk)
    instruction = get_object_or_404(Instruction, pk=instruction_pk, item=item)
    may = services.may_give_feedback(request.user, item)
    form = InstructionFeedbackForm(
        request.POST or None, initial={"text": instruction.feedback_text}
    )
    if request.method == "POST" and may and form.is_valid():
        try:
            services.instruction_feedback_record(
                instruction=instruction, actor=request.user, text=form.cleaned_data["text"]
            )
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("批示反馈已保存。"))
            return redirect(
                "publishing:instruction_feedback", pk=item.pk, instruction_pk=instruction.pk
            )
    context = {"item": item, "instruction": instruction, "form": form if may else None}
    status = 400 if request.method == "POST" else 200
    return render(request, "publishing/instruction_feedback.html", context, status=status)
