"""Reads of messages and notices. ``access_notice`` is the access helper every notice view calls
first (404, never 403): department staff see their department's notices, a recipient the
notices sent to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from xinbao.notify.deliveries import wanted_kinds
from xinbao.notify.models import (
    EmailPreference,
    Notice,
    NoticeReceipt,
    Notification,
)
from xinbao.orgs.models import Role

if TYPE_CHECKING:
    from xinbao.orgs.models import User

DEPARTMENT_ROLES = (Role.EDITOR, Role.DEPT_LEADER)


def inbox(user: User) -> QuerySet[Notification]:
    """The user's messages, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """One query on the (recipient, read_at, created_at) index."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def email_kinds(user: User) -> frozenset[str]:
    stored = EmailPreference.objects.filter(user=user).values_list("kinds", flat=True).first()
    return wanted_kinds(stored)


def is_department_staff(user: User) -> bool:
    return user.role in DEPARTMENT_ROLES and user.unit is not None and user.unit.is_org_department


def notices_visible_to(user: User) -> QuerySet[Notice]:
    if not user.is_active or user.unit_id is None:
        return Notice.objects.none()
    if user.role in DEPARTMENT_ROLES:
        return Notice.objects.filter(department_id=user.unit_id)
    return Notice.objects.filter(
        Exists(NoticeReceipt.objects.filter(notice=OuterRef("pk"), user=user))
    )


def access_notice(user: User, pk: int | str) -> Notice:
    try:
        return (
            notices_visible_to(user)
            .select_related("department", "published_by", "issue__publication")
            .get(pk=int(pk))
        )
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def received_notices(user: User) -> QuerySet[NoticeReceipt]:
    """A recipient's notices as receipts: unread first, then newest first (one query)."""
    return (
        NoticeReceipt.objects.filter(user=user)
        .select_related("notice", "notice__department")
        .order_by(F("read_at").asc(nulls_first=True), "-notice__published_at", "-notice_id")
    )


def department_notices(user: User) -> QuerySet[Notice]:
    """The department's notices, newest first, each with its receipt counts (one query)."""
    return (
        notices_visible_to(user)
        .select_related("published_by")
        .annotate(
            n_recipients=Count("receipts"),
            n_read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
        )
        .order_by("-published_at", "-id")
    )


@dataclass
class ReceiptBoard:
    notice: Notice
    unread: list[NoticeReceipt]
    read: list[NoticeReceipt]

    @property
    def total(self) -> int:
        return len(self.unread) + len(self.read)


def receipt_board(notice: Notice) -> ReceiptBoard:
    """Who has read the notice (first opening, oldest first) and who has not (by unit): one
    query."""
    receipts = list(
        notice.receipts.select_related("user", "unit").order_by(
            "unit__sort_order", "unit__code", "user__username"
        )
    )
    read = sorted((r for r in receipts if r.read_at), key=lambda r: (r.read_at, r.pk))
    return ReceiptBoard(notice=notice, unread=[r for r in receipts if not r.read_at], read=read)


def receipt_of(notice: Notice, user: User) -> NoticeReceipt | None:
    return NoticeReceipt.objects.filter(notice=notice, user=user).first()
