"""Reads of items, used by the pages and the API alike. Every one starts from what the user may
see (``items_visible_to``); ``access_item`` is the access helper every item view calls first."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from xinbao.items import secrecy
from xinbao.items.models import (
    Attachment,
    Item,
    ItemEvent,
    Revision,
    SecrecyReview,
    SecrecyTermList,
    State,
    split_paragraphs,
)
from xinbao.items.permissions import (
    access_filter,
    visibility_filter,
    visible_rows,
)
from xinbao.items.workflow import INBOX_OPEN
from xinbao.uploads import DOCX_MIME

if TYPE_CHECKING:
    from xinbao.orgs.models import User

LIST_RELATED = ("unit", "category")


def items_visible_to(user: User) -> QuerySet[Item]:
    condition = visibility_filter(user)
    if condition is None:
        return Item.objects.none()
    return Item.objects.filter(condition)


def access_item(user: User, pk: int | str, *, lock: bool = False) -> Item:
    """The item with this id if ``user`` may see it; otherwise 404 (never 403: no probing).

    With ``lock``, the item row is also locked as ``services.lock_item`` locks it (its caller is
    in a transaction and passes ``locked=True`` to ``services.transition``): one read, not two.
    """
    condition = access_filter(user)
    if condition is None:
        raise Http404
    items = Item.objects.filter(condition)
    if lock:
        items = items.select_for_update(no_key=True, of=("self",))
    try:
        return items.select_related(
            "unit",
            "unit__department",
            "department",
            "department__secrecy_terms",  # the 保密 self-check's term list, if set
            "category",
            "created_by",
        ).get(pk=int(pk))
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


INBOX_ORDER = ("-urgency", "submitted_at", "id")


def inbox(user: User, f: ItemFilter) -> QuerySet[Any]:
    """The editor's inbox as ``(id, urgency, submitted_at)`` rows: most urgent first, then
    oldest submission first (first come, first served). Without a state filter it shows the
    items waiting for the editor. A page of it becomes items with ``inbox_items``."""
    states = Q(state=f.state) if f.state else Q(state__in=INBOX_OPEN)
    rows = visible_rows(
        user,
        "id",
        "urgency",
        "submitted_at",
        narrow=lambda qs: filter_items(qs.filter(states), f),
    )
    return rows.order_by(*INBOX_ORDER)


def inbox_items(rows: Iterable[tuple[int, int, Any]]) -> list[Item]:
    """The items of a page of ``inbox`` rows, in the page's order."""
    ids = [row[0] for row in rows]
    # "timeliness" (topics' per-item record) gives urgent rows their editor clock without a query.
    by_id = Item.objects.select_related(*LIST_RELATED, "timeliness").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


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


# --- The 保密 self-check ------------------------------------------------------------------------


def secrecy_terms(department_id: int | None) -> list[str]:
    """The internal terms an item sent to this department is checked for."""
    row = SecrecyTermList.objects.filter(department_id=department_id).first()
    return secrecy.parse_terms(row.terms) if row is not None else list(secrecy.DEFAULT_TERMS)


def item_terms(item: Item) -> list[str]:
    """The internal terms for ``item``: its department's list (already loaded when the item came
    from ``access_item``; else read in one query), else the default list."""
    if not Item._meta.get_field("department").is_cached(item):
        return secrecy_terms(item.department_id)
    try:
        row = item.department.secrecy_terms
    except SecrecyTermList.DoesNotExist:
        return list(secrecy.DEFAULT_TERMS)
    return secrecy.parse_terms(row.terms)


def attachment_texts(item: Item) -> list[tuple[str, str]]:
    """``(file name, extracted text)`` of the item's attachments that have text (.docx), as
    extracted once at upload by the search index."""
    from xinbao.search.models import AttachmentText  # search builds on items, not back

    return list(
        AttachmentText.objects.filter(attachment__item_id=item.pk)
        .exclude(text="")
        .order_by("attachment__uploaded_at", "attachment_id")
        .values_list("attachment__original_name", "text")
    )


def item_findings(
    item: Item,
    *,
    title: str | None = None,
    body: str | None = None,
    attachments: list[Attachment] | None = None,
) -> list[secrecy.Finding]:
    """The findings of the item's current text (or of ``title``/``body`` as typed, not saved yet)
    and of its attachments' text, in reading order. ``attachments``, when the caller has them,
    spares the query for attachment texts when none of them is a Word file."""
    terms = item_terms(item)
    title = item.title if title is None else title
    body = item.body if body is None else body
    found = secrecy.scan([title], source=str(_("标题")), terms=terms)
    found += secrecy.scan(split_paragraphs(body), source=str(_("正文")), terms=terms)
    with_text = attachments is None or any(a.content_type == DOCX_MIME for a in attachments)
    for name, text in attachment_texts(item) if with_text else []:
        source = str(_("附件:%(name)s") % {"name": name})
        found += secrecy.scan(split_paragraphs(text), source=source, terms=terms)
    return found


def text_findings(*, department_id: int | None, title: str, body: str) -> list[secrecy.Finding]:
    """The findings of a text that is not an item's (a publication entry's edited headline and
    text), with the department's terms."""
    terms = secrecy_terms(department_id)
    found = secrecy.scan([title], source=str(_("标题")), terms=terms)
    return found + secrecy.scan(split_paragraphs(body), source=str(_("正文")), terms=terms)


@dataclass
class SecrecyStatus:
    findings: list[secrecy.Finding] = field(default_factory=list)
    review: SecrecyReview | None = None  # the latest confirmation, if any

    @property
    def covered(self) -> bool:
        """The latest confirmation covers every current finding (nothing new since)."""
        if self.review is None:
            return False
        return {f.key for f in self.findings} <= set(self.review.keys)

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.findings) and not self.covered


def secrecy_status(
    item: Item,
    *,
    title: str | None = None,
    body: str | None = None,
    attachments: list[Attachment] | None = None,
) -> SecrecyStatus:
    """The findings and, when there are any, the latest confirmation."""
    findings = item_findings(item, title=title, body=body, attachments=attachments)
    if not findings:
        return SecrecyStatus()
    review = item.secrecy_reviews.select_related("reviewer").order_by("-created_at", "-id").first()
    return SecrecyStatus(findings=findings, review=review)
