"""The rows of the item lists, rendered in Python: ``{% load item_rows %}``.

A list page shows twenty rows of five cells; in the template language each row cost about a
thousand Python calls (a ``translate`` tag per cell label, an ``include`` for the badges, a
``url`` tag per link), most of the page's CPU under load (bench/profile_pages.py). These render
the same markup with every value escaped (``format_html``/``escape``), as the dashboard's tables
do (``dashboard_tables``).

- ``{% item_list_rows page editable as rows %}``: the officer's or unit leader's list
  (``items/item_list.html``);
- ``{% inbox_rows page reviewable as rows %}``: the editor's or leader's inbox
  (``items/inbox.html``).

Both give "" for an empty page, so the template keeps its own empty row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from xinbao.items.models import Item
from xinbao.orgs.models import Role
from xinbao.topics.timeliness import editor_clock
from xinbao.web.rows import join_rows, pk_url

register = template.Library()


def when(value: Any) -> str:
    """As ``{{ value|date:"Y-m-d H:i" }}``: in the current time zone, "" for none."""
    return dateformat.format(timezone.localtime(value), "Y-m-d H:i") if value else ""


def tr_open(item: Item) -> str:
    return f'<tr class="{"urgent" if item.is_urgent else ""}">'


def state_badge(item: Item) -> SafeString:
    return format_html(
        '<span class="badge state-{}">{}</span>', item.state, item.get_state_display()
    )


def latest_comment(item: Item) -> str:
    """The returning comment under the title of a returned item (or a draft whose sign-off was
    refused), from the ``comment_events`` prefetch."""
    events = getattr(item, "comment_events", None) or []
    comment = events[0] if events else None
    if comment is None:
        return ""
    if item.state == "returned" or (item.state == "draft" and comment.action == "reject_signoff"):
        return format_html(
            '\n        <div class="comment">{}:{}</div>',
            comment.actor.display_name,
            comment.comment,
        )
    return ""


@register.simple_tag
def item_list_rows(page: Iterable[Item], editable: list[str]) -> SafeString:
    edit, detail = pk_url("items:edit"), pk_url("items:detail")
    labels = [escape(_(text)) for text in ("标题", "类别", "状态", "更新时间")]
    rows = []
    for item in page:
        link = edit(item.pk) if item.state in editable else detail(item.pk)
        urgency = (
            format_html(
                ' <span class="badge urgency-{}">{}</span>',
                item.urgency,
                item.get_urgency_display(),
            )
            if item.urgency
            else ""
        )
        rows.append(
            f"    {tr_open(item)}\n"
            f'      <td data-label="{labels[0]}"><a href="{escape(link)}">{escape(item.title)}</a>'
            f"{latest_comment(item)}\n      </td>\n"
            f'      <td data-label="{labels[1]}">{escape(item.category)}</td>\n'
            f'      <td data-label="{labels[2]}">{state_badge(item)}{urgency}</td>\n'
            f'      <td data-label="{labels[3]}" class="muted">{when(item.updated_at)}</td>\n'
            "    </tr>"
        )
    return join_rows(rows)


@register.simple_tag(takes_context=True)
def inbox_rows(
    context: template.Context, page: Iterable[Item], reviewable: list[str]
) -> SafeString:
    editor = context["user"].role == Role.EDITOR
    edit, detail = pk_url("items:edit"), pk_url("items:detail")
    labels = [escape(_(text)) for text in ("紧急", "标题", "单位", "类别", "状态", "报送时间")]
    now = timezone.now()
    rows = []
    for item in page:
        if item.urgency:
            urgency = format_html(
                '<span class="badge urgency-{}">{}</span>', item.urgency, item.get_urgency_display()
            )
            clock = editor_clock(item, now)
            if clock:
                overdue = " overdue" if clock.overdue else ""
                urgency += format_html(' <span class="clock{}">{}</span>', overdue, clock.text)
        else:
            urgency = format_html('<span class="muted">{}</span>', item.get_urgency_display())
        link = edit(item.pk) if editor and item.state in reviewable else detail(item.pk)
        title = format_html('<a href="{}">{}</a>', link, item.title)
        rows.append(
            f"    {tr_open(item)}\n"
            f'      <td data-label="{labels[0]}">{urgency}</td>\n'
            f'      <td data-label="{labels[1]}">{title}</td>\n'
            f'      <td data-label="{labels[2]}">{escape(item.unit.display_name)}</td>\n'
            f'      <td data-label="{labels[3]}">{escape(item.category)}</td>\n'
            f'      <td data-label="{labels[4]}">{state_badge(item)}</td>\n'
            f'      <td data-label="{labels[5]}" class="muted">{when(item.submitted_at)}</td>\n'
            "    </tr>"
        )
    return join_rows(rows)
