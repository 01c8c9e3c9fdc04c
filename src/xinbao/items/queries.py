"""Reads of items, used by the pages and the API alike. Every one starts from what the user may
see (``items_visible_to``); ``access_item`` is the access helper every item view calls first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from xinbao.items.models import Attachment, Item, ItemEvent, Revision, State
from xinbao.items.permissions import visibility_filter
from xinbao.items.workflow import INBOX_OPEN

if TYPE_CHECKING:
    from xinbao.orgs.models import User

LIST_RELATED = ("unit", "category")


def items_visible_to(user: User) -> QuerySet[Item]:
    condition = visibility_filter(user)
    if condition is None:
        return Item.objects.none()
    return Item.objects.filter(condition)


def access_item(user: User, pk: int | str) -> Item:
    """The item with this id if ``user`` may see it; otherwise 404 (never 403: no probing)."""
    try:
        return (
            items_visible_to(user)
            .select_related("unit", "unit__department", "department", "category", "created_by")
            .get(pk=int(pk))
        )
    except (Item.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def item_events(item: Item) -> list[ItemEvent]:
    return list(item.events.select_related("actor").order_by("created_at", "id"))


def item_revisions(item: Item) -> list[Revision]:
    return list(item.revisions.select_related("author").order_by("number"))


def item_attachments(item: Item) -> list[Attachment]:
    return list(item.attachments.order_by("uploaded_at", "id"))


def item_detail_related(item: Item) -> tuple[list[ItemEvent], list[Revision], list[Attachment]]:
    return item_events(item), item_revisions(item), item_attachments(item)


def unit_items(user: User) -> QuerySet[Item]:
    """An officer's or unit leader's list: their unit's items, most recently changed first."""
    return (
        items_visible_to(user)
        .select_related(*LIST_RELATED)
        .prefetch_related(latest_comment_prefetch())
        .order_by("-updated_at", "-id")
    )


def signoff_queue(user: User) -> QuerySet[Item]:
    return (
        items_visible_to(user)
        .filter(state=State.PENDING_SIGNOFF)
        .select_related(*LIST_RELATED, "created_by")
        .order_by("-urgency", "updated_at", "id")
    )


@dataclass
class ItemFilter:
    """How a list of visible items is narrowed: one set of filters shared by the inbox, the
    API's item list and search. Empty fields filter nothing."""

    unit_id: int | None = None
    exclude_unit_id: int | None = None
    unit_kind: str | None = None
    category_id: int | None = None
    category_name: str | None = None
    state: str | None = None
    urgency: int | None = None
    urgent_only: bool = False
    date_from: datetime.date | None = None  # submitted on or after
    date_to: datetime.date | None = None  # submitted on or before
    title_contains: str | None = None


def filter_items(qs: QuerySet[Item], f: ItemFilter) -> QuerySet[Item]:
    """``qs`` narrowed by ``f``. Callers start from ``items_visible_to``: a filter on something
    the caller cannot see simply matches nothing."""
    if f.unit_id:
        qs = qs.filter(unit_id=f.unit_id)
    if f.exclude_unit_id:
        qs = qs.exclude(unit_id=f.exclude_unit_id)
    if f.unit_kind:
        qs = qs.filter(unit__kind=f.unit_kind)
    if f.category_id:
        qs = qs.filter(category_id=f.category_id)
    if f.category_name:
        qs = qs.filter(category__name=f.category_name)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.urgency is not None:
        qs = qs.filter(urgency=f.urgency)
    if f.urgent_only:
        qs = qs.filter(urgency__gt=0)
    if f.date_from:
        qs = qs.filter(submitted_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(submitted_at__date__lte=f.date_to)
    if f.title_contains:
        qs = qs.filter(title__icontains=f.title_contains)
    return qs


def inbox(user: User, f: ItemFilter) -> QuerySet[Item]:
    """The editor's inbox: most urgent first, then oldest submission first (first come, first
    served). Without a state filter it shows the items waiting for the editor."""
    qs = items_visible_to(user)
    if not f.state:
        qs = qs.filter(state__in=INBOX_OPEN)
    qs = filter_items(qs, f)
    # "timeliness" (topics' per-item record) gives urgent rows their editor clock without a query.
    return qs.select_related(*LIST_RELATED, "timeliness").order_by("-urgency", "submitted_at", "id")


def latest_comment_prefetch() -> Prefetch:
    """The returning or refusing comments, so a list can show the latest without a query per row."""
    return Prefetch(
        "events",
        queryset=ItemEvent.objects.filter(action__in=("return", "reject_signoff", "decline"))
        .exclude(comment="")
        .select_related("actor")
        .order_by("-created_at", "-id"),
        to_attr="comment_events",
    )
