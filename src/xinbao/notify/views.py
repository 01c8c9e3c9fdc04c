"""Pages of the inbox, e-mail preferences, the department's webhook, and notices (上情下达).
Each view: role gate and access helper first, then one service or query, then render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items.errors import ItemError
from xinbao.notify import queries, services
from xinbao.notify.forms import EmailPreferenceForm, NoticeForm, RecipientsForm, WebhookForm
from xinbao.notify.models import DepartmentWebhook, Notice, NoticeAttachment, Notification
from xinbao.orgs.models import Role
from xinbao.web.access import AuthedRequest, require_roles
from xinbao.web.downloads import DOCX_MIME, file_response

DEPARTMENT = (Role.EDITOR, Role.DEPT_LEADER)
UNITS = (Role.OFFICER, Role.UNIT_LEADER)
PAGE_SIZE = 30


def notification_list(request: AuthedRequest) -> HttpResponse:
    page = Paginator(queries.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/list.html", {"page": page})


@require_POST
def mark_all_read(request: AuthedRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("notify:list")


def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Follow a message's link, marking it read (POST from the inbox; GET just follows)."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if request.method == "POST":
        services.notifications_mark_read(user=request.user, pk=notification.pk)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return redirect("notify:list")
    return redirect(target)


@require_POST
def mark_read(request: AuthedRequest, pk: int) -> HttpResponse:
    get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notifications_mark_read(user=request.user, pk=pk)
    return redirect("notify:list")


def preferences(request: AuthedRequest) -> HttpResponse:
    form = EmailPreferenceForm(
        request.POST or None, initial={"kinds": sorted(queries.email_kinds(request.user))}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.email_preference_set(user=request.user, kinds=form.cleaned_data["kinds"])
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("邮件设置已保存。"))
            return redirect("notify:preferences")
    return render(
        request, "notify/preferences.html", {"form": form, "has_email": bool(request.user.email)}
    )


@require_roles(Role.EDITOR)
def webhook(request: AuthedRequest) -> HttpResponse:
    hook = DepartmentWebhook.objects.filter(department_id=request.user.unit_id).first()
    initial = {"url": hook.url, "is_active": hook.is_active} if hook else {"is_active": True}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_save(
                actor=request.user,
                url=form.cleaned_data["url"],
                is_active=form.cleaned_data["is_active"],
            )
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("群机器人设置已保存。"))
            return redirect("notify:webhook")
    return render(request, "notify/webhook.html", {"form": form, "hook": hook})


# ----------------------------------------------------------------------------------------------
# Notices
# ----------------------------------------------------------------------------------------------


@require_roles(*DEPARTMENT, *UNITS)
def notice_list(request: AuthedRequest) -> HttpResponse:
    if request.user.role in DEPARTMENT:
        qs = queries.department_notices(request.user)
        template = "notify/notice_board_list.html"
    else:
        qs = queries.received_notices(request.user)  # type: ignore[assignment]
        template = "notify/notice_list.html"
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {"page": page})


@require_roles(Role.EDITOR)
def notice_new(request: AuthedRequest) -> HttpResponse:
    department = request.user.home_unit
    form = NoticeForm(request.POST or None, request.FILES or None, department=department)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_publish(
                actor=request.user,
                data=form.to_data(),
                uploads=form.cleaned_data.get("attachments") or [],
            )
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已发布,共 %(n)d 人。") % {"n": notice.receipts.count()})
            return redirect("notify:notice_receipts", pk=notice.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "notify/notice_form.html", {"form": form}, status=status)


@require_roles(*DEPARTMENT, *UNITS)
def notice_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A recipient's first opening is the read receipt."""
    notice = queries.access_notice(request.user, pk)
    receipt = queries.receipt_of(notice, request.user)
    if receipt is not None and receipt.read_at is None:
        services.notice_mark_read(notice=notice, actor=request.user)
    context = {
        "notice": notice,
        "attachments": list(notice.attachments.all()),
        "is_staff": request.user.role in DEPARTMENT,
    }
    return render(request, "notify/notice_detail.html", context)


@require_roles(*DEPARTMENT)
def notice_receipts(request: AuthedRequest, pk: int) -> HttpResponse:
    notice = queries.access_notice(request.user, pk)
    return render(request, "notify/notice_receipts.html", {"board": queries.receipt_board(notice)})


@require_roles(*DEPARTMENT, *UNITS)
def notice_attachment(request: AuthedRequest, pk: int, attachment_pk: int) -> HttpResponse:
    notice = queries.access_notice(request.user, pk)
    attachment = get_object_or_404(NoticeAttachment, pk=attachment_pk, notice=notice)
    with attachment.file.open("rb") as handle:
        data = handle.read()
    return file_response(data, attachment.original_name, attachment.content_type)


@require_roles(*DEPARTMENT, *UNITS)
def notice_issue_docx(request: AuthedRequest, pk: int) -> HttpResponse:
    """The distributed issue's Word file, for the notice's recipients."""
    from xinbao.publishing.docx import issue_docx, issue_filename

    notice = queries.access_notice(request.user, pk)
    if notice.issue is None:
        return redirect("notify:notice", pk=notice.pk)
    return file_response(issue_docx(notice.issue), issue_filename(notice.issue), DOCX_MIME)


@require_roles(Role.EDITOR)
def issue_distribute(request: AuthedRequest, issue_pk: int) -> HttpResponse:
    """分发 a published issue: choose the recipients, publish a notice linking to it."""
    from xinbao.publishing.queries import access_issue

    issue = access_issue(request.user, issue_pk)
    department = request.user.home_unit
    form = RecipientsForm(request.POST or None, department=department)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.issue_distribute(
                issue=issue,
                actor=request.user,
                **form.targeting_data(),
            )
        except ItemError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已分发,共 %(n)d 人。") % {"n": notice.receipts.count()})
            return redirect("notify:notice_receipts", pk=notice.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "notify/issue_distribute.html",
        {"form": form, "issue": issue, "category": Notice.Category.ISSUE.label},
        status=status,
    )
