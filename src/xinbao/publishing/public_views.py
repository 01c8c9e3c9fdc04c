"""The public web column (组工信息专栏): list, entry page and Atom feed, open without login.

Every view here is marked ``login_not_required`` (the project runs ``LoginRequiredMiddleware``),
so what may be shown is decided entirely by ``public_queries``; these views only render it.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_not_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from xinbao.items.models import split_paragraphs
from xinbao.publishing.models import IssueEntry
from xinbao.publishing.public_queries import (
    column_entries,
    column_entry,
    column_entry_successor,
    column_publications,
)
from xinbao.web.sanitize import clean_html

PAGE_SIZE = 20
FEED_SIZE = 30
COLUMN_TITLE = _("组工信息专栏")


def site_names() -> list[str]:
    """The departments running a public column, for the site header (one query)."""
    names: list[str] = []
    for publication in column_publications():
        if publication.department.name not in names:
            names.append(publication.department.name)
    return names


@login_not_required
@require_safe
def column_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(column_entries(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "publishing/column_list.html",
        {"page": page, "column_title": COLUMN_TITLE, "site_names": site_names()},
    )


@login_not_required
@require_safe
def column_entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        entry = column_entry(pk)
    except Http404:
        successor = column_entry_successor(pk)
        if successor is None:
            raise
        return redirect("publishing:column_entry", pk=successor.pk, permanent=True)
    return render(
        request,
        "publishing/column_entry.html",
        {
            "entry": entry,
            "paragraphs": split_paragraphs(entry.text),
            "column_title": COLUMN_TITLE,
            "site_names": site_names(),
        },
    )


class ColumnFeed(Feed):
    """The newest column entries as Atom; each links to its public entry page."""

    feed_type = Atom1Feed
    title = COLUMN_TITLE
    subtitle = _("组织工作信息公开发布")

    def link(self) -> str:
        return reverse("publishing:column_list")

    def feed_url(self) -> str:
        return reverse("publishing:column_feed")

    def author_name(self) -> str:
        return "、".join(site_names()) or str(COLUMN_TITLE)

    def items(self) -> QuerySet[IssueEntry]:
        return column_entries()[:FEED_SIZE]

    def item_title(self, item: IssueEntry) -> str:
        return item.headline

    def item_description(self, item: IssueEntry) -> str:
        # Atom1Feed marks the summary as HTML: every paragraph is escaped here.
        paragraphs = format_html_join("", "<p>{}</p>", ((p,) for p in split_paragraphs(item.text)))
        return str(clean_html(paragraphs))

    def item_link(self, item: IssueEntry) -> str:
        return reverse("publishing:column_entry", args=[item.pk])

    def item_pubdate(self, item: IssueEntry) -> datetime.datetime | None:
        return item.issue.published_at

    def item_updateddate(self, item: IssueEntry) -> datetime.datetime | None:
        return item.issue.published_at


column_feed = login_not_required(require_safe(ColumnFeed()))
