"""Every write of messages, preferences, the department webhook and notices.

Messages are written inside the sender's transaction, so a message exists exactly when the
change it announces does; their mail and webhook deliveries are sent by a background task after
that transaction commits (``notify.deliveries``), and a failing mail server or robot never breaks
the sender.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items.attachments import check_upload
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.permissions import check_editor_of
from xinbao.notify.deliveries import queue_emails, queue_webhook
from xinbao.notify.models import (
    DepartmentWebhook,
    EmailPreference,
    Kind,
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    Notification,
)
from xinbao.orgs.models import Role, Unit, User

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from xinbao.items.models import Item
    from xinbao.publishing.models import PublicationIssue

TITLE_MAX = 200
BODY_MAX = 20000
MAX_ATTACHMENTS = 10
UNIT_ROLES = (Role.OFFICER, Role.UNIT_LEADER)


# ----------------------------------------------------------------------------------------------
# Messages
# ----------------------------------------------------------------------------------------------


def notify_users(
    *,
    recipients: Iterable[int],
    text: str,
    kind: str = Kind.GENERAL,
    url: str = "",
    item: Item | None = None,
    item_id: int | None = None,
) -> list[Notification]:
    """Message each user (ids) in the inbox, and by mail those who want this kind. ``url`` is
    where the message leads; for an item it defaults to the item's page."""
    item_id = item.pk if item is not None else item_id
    if item_id is not None and not url:
        url = reverse("items:detail", kwargs={"pk": item_id})
    rows = [
        Notification(recipient_id=pk, kind=kind, item_id=item_id, url=url, text=text[:300])
        for pk in dict.fromkeys(recipients)
    ]
    notifications = Notification.objects.bulk_create(rows)
    queue_emails(notifications)
    return notifications


def unit_recipients(unit: Unit) -> list[int]:
    return list(
        User.objects.filter(unit=unit, role__in=UNIT_ROLES, is_active=True).values_list(
            "pk", flat=True
        )
    )


def notify_unit(
    *,
    unit: Unit,
    text: str,
    item: Item | None = None,
    kind: str = Kind.GENERAL,
    url: str = "",
) -> int:
    """Message every active officer and sign-off leader of ``unit``. Returns how many."""
    return len(
        notify_users(recipients=unit_recipients(unit), text=text, kind=kind, url=url, item=item)
    )


def announce(*, department: Unit, title: str, text: str, url: str) -> None:
    """Post to the department's group chat (when it has a webhook), after commit."""
    queue_webhook(department_id=department.pk, title=title, text=text, url=url)


def notifications_mark_read(*, user: User, pk: int | None = None) -> int:
    """Mark the user's unread messages read: one (``pk``) or all. Returns how many changed;
    another user's message changes nothing."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())


def email_preference_set(*, user: User, kinds: Sequence[str]) -> EmailPreference:
    unknown = set(kinds) - set(Kind.values)
    if unknown:
        raise InvalidInput(_("消息类型无效。"))
    chosen = [k for k in Kind.values if k in set(kinds)]
    with transaction.atomic():
        preference, _created = EmailPreference.objects.update_or_create(
            user=user, defaults={"kinds": chosen}
        )
        audit_record(
            actor=user, action="notify.email_preference", obj=user, changes={"kinds": chosen}
        )
    return preference


def check_webhook_editor(actor: User) -> Unit:
    department = actor.unit
    if department is None or not department.is_org_department:
        raise NotAllowed(_("只有组织部门的编辑可以设置群机器人。"))
    check_editor_of(actor, department)
    return department


def webhook_save(*, actor: User, url: str, is_active: bool) -> DepartmentWebhook | None:
    """Set (or, with an empty ``url``, remove) the department's group-chat robot address."""
    department = check_webhook_editor(actor)
    url = url.strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidInput(_("请填写以 http:// 或 https:// 开头的机器人地址。")) from None
        if len(url) > 500:
            raise InvalidInput(_("地址不能超过 500 个字符。"))
    with transaction.atomic():
        if not url:
            DepartmentWebhook.objects.filter(department=department).delete()
            audit_record(actor=actor, action="notify.webhook_remove", obj=department)
            return None
        hook, _created = DepartmentWebhook.objects.update_or_create(
            department=department,
            defaults={"url": url, "is_active": is_active, "updated_by": actor},
        )
        # The address is a secret of the group chat: the audit log records that it changed.
        audit_record(
            actor=actor, action="notify.webhook_save", obj=department, changes={"active": is_active}
        )
    return hook


# ----------------------------------------------------------------------------------------------
# Notices and study materials (上情下达)
# ----------------------------------------------------------------------------------------------


@dataclass
class NoticeData:
    category: str
    title: str
    targeting: str
    body: str = ""
    target_kind: str = ""
    units: list[Unit] = field(default_factory=list)


def check_notice_editor(actor: User) -> Unit:
    department = actor.unit
    if department is None or not department.is_org_department:
        raise NotAllowed(_("只有组织部门的编辑可以发布通知和学习资料。"))
    check_editor_of(actor, department)
    return department


def notice_recipients(department: Unit, data: NoticeData) -> list[tuple[int, int]]:
    """(user id, unit id) of every recipient: the officers and sign-off leaders of the chosen
    units, or every officer of the department's units (``officers``)."""
    from xinbao.topics.services import units_for_targeting  # topics builds on notify

    units = units_for_targeting(department, data.targeting, data.target_kind, data.units)
    roles = (Role.OFFICER,) if data.targeting == Notice.Targeting.OFFICERS else UNIT_ROLES
    return list(
        User.objects.filter(unit__in=units, role__in=roles, is_active=True)
        .order_by("unit__sort_order", "unit__code", "username")
        .values_list("pk", "unit_id")
    )


def clean_notice_data(data: NoticeData, department: Unit, *, issue: bool = False) -> NoticeData:
    from xinbao.topics.services import targeting_errors

    errors: list[str] = []
    data.title = " ".join(data.title.split())
    data.body = data.body.strip()
    if not data.title:
        errors.append(_("请填写标题。"))
    elif len(data.title) > TITLE_MAX:
        errors.append(_("标题不能超过 %(max)d 个字。") % {"max": TITLE_MAX})
    if len(data.body) > BODY_MAX:
        errors.append(_("正文不能超过 %(max)d 字。") % {"max": BODY_MAX})
    allowed = (
        Notice.Category.values
        if issue
        else [c for c in Notice.Category.values if c != Notice.Category.ISSUE]
    )
    if data.category not in allowed:
        errors.append(_("请选择类别。"))
    if data.targeting not in Notice.Targeting.values:
        errors.append(_("请选择发送对象。"))
    errors += targeting_errors(department, data.targeting, data.target_kind, data.units)
    if errors:
        raise InvalidInput(" ".join(errors))
    if data.targeting != Notice.Targeting.KIND:
        data.target_kind = ""
    return data


def notice_publish(
    *,
    actor: User,
    data: NoticeData,
    uploads: Sequence[UploadedFile] = (),
    issue: PublicationIssue | None = None,
) -> Notice:
    """Publish a notice to its recipients at once: receipts for each, a message in each inbox
    (and mail for those who want it), a post to the department's group chat."""
    department = check_notice_editor(actor)
    data = clean_notice_data(data, department, issue=issue is not None)
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(_("附件最多 %(n)d 个。") % {"n": MAX_ATTACHMENTS})
    files = [check_upload(upload, actor=actor, obj=department) for upload in uploads]
    recipients = notice_recipients(department, data)
    if not recipients:
        raise InvalidInput(_("所选单位没有可以接收的人员,请换一种发送对象。"))
    with transaction.atomic():
        notice = Notice.objects.create(
            department=department,
            category=data.category,
            title=data.title,
            body=data.body,
            targeting=data.targeting,
            target_kind=data.target_kind,
            issue=issue,
            published_by=actor,
        )
        for checked in files:
            attachment = NoticeAttachment(
                notice=notice,
                original_name=checked.name,
                content_type=checked.mime,
                size=len(checked.data),
                sha256=checked.sha256,
            )
            attachment.file.save(checked.sha256, ContentFile(checked.data), save=False)
            attachment.save()
        NoticeReceipt.objects.bulk_create(
            [NoticeReceipt(notice=notice, user_id=user, unit_id=unit) for user, unit in recipients]
        )
        url = reverse("notify:notice", kwargs={"pk": notice.pk})
        label = notice.get_category_display()
        text = _("%(label)s:%(title)s") % {"label": label, "title": notice.title}
        notify_users(
            recipients=[u for u, _unit in recipients], text=text, kind=Kind.NOTICE, url=url
        )
        announce(
            department=department, title=f"{label}:{notice.title}", text=data.body[:200], url=url
        )
        audit_record(
            actor=actor,
            action="notice.publish",
            obj=notice,
            changes={
                "category": data.category,
                "targeting": data.targeting,
                "recipients": len(recipients),
                "attachments": [checked.name for checked in files],
            },
        )
    return notice


def issue_distribute(
    *,
    issue: PublicationIssue,
    actor: User,
    targeting: str,
    target_kind: str = "",
    units: Sequence[Unit] = (),
) -> Notice:
    """分发: a published issue of the department's publication sent down as a notice linking to
    it (recipients download the issue's Word file from the notice)."""
    from xinbao.publishing.models import PublicationIssue

    check_editor_of(actor, issue.publication.department)
    if issue.state != PublicationIssue.State.PUBLISHED:
        raise InvalidInput(_("只有已发布的一期可以分发。"))
    title = f"《{issue.publication.name}》{issue.number_label}"
    if issue.title:
        title = f"{title} {issue.title}"
    data = NoticeData(
        category=Notice.Category.ISSUE,
        title=title[:TITLE_MAX],
        targeting=targeting,
        target_kind=target_kind,
        units=list(units),
    )
    return notice_publish(actor=actor, data=data, issue=issue)


def notice_mark_read(*, notice: Notice, actor: User) -> bool:
    """The first opening by a recipient is the read receipt; later ones change nothing. The
    inbox message about the notice is marked read with it. Returns whether this call recorded
    it."""
    now = timezone.now()
    with transaction.atomic():
        recorded = NoticeReceipt.objects.filter(notice=notice, user=actor, read_at=None).update(
            read_at=now
        )
        if recorded:
            Notification.objects.filter(
                recipient=actor,
                read_at=None,
                kind=Kind.NOTICE,
                url=reverse("notify:notice", kwargs={"pk": notice.pk}),
            ).update(read_at=now)
    return bool(recorded)
