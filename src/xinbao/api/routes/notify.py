"""The caller's messages (inbox) and the department's notices and study materials (上情下达).

Messages: every signed-in user, only their own. Notices: recipients see those sent to them (and
opening one records the read receipt); the department's editors and leaders see the
department's, with the receipt counts and who has not read.
"""

from __future__ import annotations

import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from xinbao.api.auth import ApiRequest
from xinbao.api.pagination import page_by_id
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.schemas import PageParams, UnitRef, UserRef
from xinbao.items.errors import NotAllowed
from xinbao.notify import queries, services
from xinbao.notify.models import Notice, NoticeAttachment, NoticeReceipt, Notification
from xinbao.orgs.models import Role

router = Router(tags=["消息与通知"])

DEPARTMENT = (Role.EDITOR, Role.DEPT_LEADER)
UNITS = (Role.OFFICER, Role.UNIT_LEADER)


class InboxParams(PageParams):
    unread: bool = Field(False, description="只列未读消息")


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    text: str
    url: str = Field(description="消息指向的页面(站内路径),可能为空")
    created_at: datetime.datetime
    read_at: datetime.datetime | None

    @classmethod
    def build(cls, n: Notification) -> NotificationOut:
        return cls(
            id=n.pk,
            kind=n.kind,
            kind_label=str(n.get_kind_display()),
            text=n.text,
            url=n.url,
            created_at=n.created_at,
            read_at=n.read_at,
        )


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread_count: int
    next_cursor: str | None


class Marked(Schema):
    marked: int = Field(description="本次标为已读的条数")


@router.get(
    "/notifications",
    response={200: NotificationPage, **READ_ERRORS},
    summary="我的消息(从新到旧)",
)
def notification_list(request: ApiRequest, page: Query[InboxParams]) -> NotificationPage:
    qs = queries.inbox(request.user)
    if page.unread:
        qs = qs.filter(read_at__isnull=True)
    rows, next_cursor = page_by_id(qs, page.cursor, page.limit)
    return NotificationPage(
        items=[NotificationOut.build(n) for n in rows],
        unread_count=queries.unread_count(request.user),
        next_cursor=next_cursor,
    )


@router.post(
    "/notifications/read",
    response={200: Marked, **WRITE_ERRORS},
    summary="全部标为已读",
)
def notification_read_all(request: ApiRequest) -> Marked:
    return Marked(marked=services.notifications_mark_read(user=request.user))


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **WRITE_ERRORS},
    summary="一条消息标为已读",
)
def notification_read(request: ApiRequest, notification_id: ObjectId) -> NotificationOut:
    notification = queries.inbox(request.user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    services.notifications_mark_read(user=request.user, pk=notification.pk)
    notification.refresh_from_db()
    return NotificationOut.build(notification)


# ----------------------------------------------------------------------------------------------
# Notices
# ----------------------------------------------------------------------------------------------


class NoticeSummary(Schema):
    id: int
    category: str
    category_label: str
    title: str
    published_at: datetime.datetime
    read_at: datetime.datetime | None = Field(description="本人阅读时间(接收人);部门人员为 null")
    recipients: int | None = Field(description="接收人数(部门人员可见)")
    read: int | None = Field(description="已读人数(部门人员可见)")


class NoticePage(Schema):
    items: list[NoticeSummary]
    next_cursor: str | None


class AttachmentRef(Schema):
    id: int
    name: str
    content_type: str
    size: int

    @classmethod
    def build(cls, a: NoticeAttachment) -> AttachmentRef:
        return cls(id=a.pk, name=a.original_name, content_type=a.content_type, size=a.size)


class NoticeOut(Schema):
    id: int
    category: str
    category_label: str
    title: str
    body: str
    department: UnitRef
    published_at: datetime.datetime
    issue_id: int | None = Field(description="分发的刊物期次(刊物分发时)")
    attachments: list[AttachmentRef]


class ReceiptOut(Schema):
    user: UserRef
    unit: UnitRef
    read_at: datetime.datetime | None

    @classmethod
    def build(cls, r: NoticeReceipt) -> ReceiptOut:
        return cls(user=UserRef.build(r.user), unit=UnitRef.build(r.unit), read_at=r.read_at)


class ReceiptBoardOut(Schema):
    total: int
    read: list[ReceiptOut]
    unread: list[ReceiptOut] = Field(description="尚未阅读的人员")


def check_roles(request: ApiRequest, *roles: str) -> None:
    if not request.user.has_role(*roles):
        raise NotAllowed(_("您无权查看通知。"))


@router.get(
    "/notices",
    response={200: NoticePage, **READ_ERRORS},
    summary="通知与学习资料(从新到旧)",
    description="接收人:发给本人的通知,带本人阅读时间;组织部门人员:本部门发布的通知,带阅读人数。",
)
def notice_list(request: ApiRequest, page: Query[PageParams]) -> NoticePage:
    check_roles(request, *DEPARTMENT, *UNITS)
    user = request.user
    if user.role in DEPARTMENT:
        rows, next_cursor = page_by_id(queries.department_notices(user), page.cursor, page.limit)
        items = [
            NoticeSummary(
                id=n.pk,
                category=n.category,
                category_label=str(n.get_category_display()),
                title=n.title,
                published_at=n.published_at,
                read_at=None,
                recipients=n.n_recipients,  # type: ignore[attr-defined]
                read=n.n_read,  # type: ignore[attr-defined]
            )
            for n in rows
        ]
        return NoticePage(items=items, next_cursor=next_cursor)
    receipts = queries.received_notices(user)
    rows_r, next_cursor = page_by_id(receipts, page.cursor, page.limit)
    items = [
        NoticeSummary(
            id=r.notice.pk,
            category=r.notice.category,
            category_label=str(r.notice.get_category_display()),
            title=r.notice.title,
            published_at=r.notice.published_at,
            read_at=r.read_at,
            recipients=None,
            read=None,
        )
        for r in rows_r
    ]
    return NoticePage(items=items, next_cursor=next_cursor)


@router.get(
    "/notices/{notice_id}",
    response={200: NoticeOut, **READ_ERRORS},
    summary="一条通知(接收人首次打开即记为已读)",
)
def notice_get(request: ApiRequest, notice_id: ObjectId) -> NoticeOut:
    check_roles(request, *DEPARTMENT, *UNITS)
    notice = queries.access_notice(request.user, notice_id)
    receipt = queries.receipt_of(notice, request.user)
    if receipt is not None and receipt.read_at is None:
        services.notice_mark_read(notice=notice, actor=request.user)
    return NoticeOut(
        id=notice.pk,
        category=notice.category,
        category_label=str(notice.get_category_display()),
        title=notice.title,
        body=notice.body,
        department=UnitRef.build(notice.department),
        published_at=notice.published_at,
        issue_id=notice.issue_id,
        attachments=[AttachmentRef.build(a) for a in notice.attachments.all()],
    )


@router.get(
    "/notices/{notice_id}/receipts",
    response={200: ReceiptBoardOut, **READ_ERRORS},
    summary="阅读情况:已读和未读的人员",
)
def notice_receipts(request: ApiRequest, notice_id: ObjectId) -> ReceiptBoardOut:
    check_roles(request, *DEPARTMENT)
    notice: Notice = queries.access_notice(request.user, notice_id)
    board = queries.receipt_board(notice)
    return ReceiptBoardOut(
        total=board.total,
        read=[ReceiptOut.build(r) for r in board.read],
        unread=[ReceiptOut.build(r) for r in board.unread],
    )
