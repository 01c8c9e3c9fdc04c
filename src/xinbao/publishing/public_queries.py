"""Reads behind the public web column (组工信息专栏): no login, so every rule is in the query.

What the public may see is decided here and only here: entries of *published* issues (a draft is
not out yet; a superseded issue has been replaced by its correction) of *active* publications of
kind web column, never an entry whose item is marked internal (内部信息,不宜公开) or has
unresolved 保密 self-check findings (``Item.secrecy_findings``; NULL, not checked yet, is never
shown: ``= 0`` excludes it). The last rules are
checked again at read time although ``issue_add_item`` already refuses such items for web
columns: an item may be marked internal (or edited into findings) after its issue went out, and a
correction copies the entries of the issue it corrects without asking again. Nothing from the
internal workflow (officers, comments, states) is selected for these pages.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from xinbao.orgs.models import Unit
from xinbao.publishing.models import IssueEntry, Publication, PublicationIssue


def column_publications(department: Unit | None = None) -> QuerySet[Publication]:
    """Active web-column publications (optionally of one department), with their department."""
    qs = Publication.objects.filter(
        kind=Publication.Kind.WEB_COLUMN, is_active=True
    ).select_related("department")
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("department_id", "sort_order", "id")


def column_entries(department: Unit | None = None) -> QuerySet[IssueEntry]:
    """Every publicly visible column entry, newest issue first, then in the issue's order.

    Selects the issue and publication (what the list, entry page and feed print) in the same
    query; the item is joined only to filter on ``is_internal``.
    """
    qs = IssueEntry.objects.filter(
        issue__state=PublicationIssue.State.PUBLISHED,
        issue__publication__kind=Publication.Kind.WEB_COLUMN,
        issue__publication__is_active=True,
        item__is_internal=False,
        item__secrecy_findings=0,
    )
    if department is not None:
        qs = qs.filter(issue__publication__department=department)
    return qs.select_related("issue__publication").order_by(
        "-issue__published_at", "-issue_id", "position", "id"
    )


def column_entry(pk: int) -> IssueEntry:
    """The publicly visible entry ``pk``, or ``Http404`` (drafts, other outlets and internal
    items are indistinguishable from entries that do not exist)."""
    try:
        return column_entries().get(pk=pk)
    except IssueEntry.DoesNotExist:
        raise Http404 from None


def column_entry_successor(pk: int) -> IssueEntry | None:
    """Where an entry of a superseded issue now lives: the same item in the published correction.

    A correction re-creates its entries, so links shared before it would otherwise break. All
    revisions of an issue share its number and only the newest is published, so this works from
    any earlier revision; the result passes the same public conditions as ``column_entry``.
    ``None`` when there is nothing public to go to.
    """
    entry = (
        IssueEntry.objects.filter(
            pk=pk,
            issue__state=PublicationIssue.State.SUPERSEDED,
            issue__publication__kind=Publication.Kind.WEB_COLUMN,
        )
        .select_related("issue")
        .first()
    )
    if entry is None:
        return None
    # A correction keeps the number of the issue it corrects, and only the newest revision of a
    # number is published.
    return (
        column_entries()
        .filter(
            item_id=entry.item_id,
            issue__publication_id=entry.issue.publication_id,
            issue__total_number=entry.issue.total_number,
        )
        .first()
    )
