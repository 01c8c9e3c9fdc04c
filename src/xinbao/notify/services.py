"""Sending in-app messages. Called inside the sender's transaction, so a message exists exactly
when the change it announces does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from xinbao.notify.models import Notification
from xinbao.orgs.models import Role, Unit, User

if TYPE_CHECKING:
    from xinbao.items.models import Item


def notify_unit(*, unit: Unit, text: str, item: Item | None = None) -> int:
    """Message every active officer and sign-off leader of ``unit``. Returns how many."""
    recipients = User.objects.filter(
        unit=unit, role__in=(Role.OFFICER, Role.UNIT_LEADER), is_active=True
    ).values_list("pk", flat=True)
    rows = [Notification(recipient_id=pk, item=item, text=text[:300]) for pk in recipients]
    Notification.objects.bulk_create(rows)
    return len(rows)


def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
