"""The ranking tables' rows, rendered in Python: ``{% load ranking_rows %}``.

A county's ranking is thirty units of twelve cells, each cell with a translated label and most
with a link to the statement behind the figure; in the template language that was about 100,000
Python calls a page (bench/profile_pages.py). These render the same markup, every value escaped
(``escape``), as the dashboard's tables do (``dashboard_tables``):

- ``{% unit_rank_rows group.rows year period %}``: one class's (or the overall) unit rows;
- ``{% officer_rank_rows overall year period %}``: the officers' rows ("" when there are none,
  so the template keeps its empty row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from xinbao.scoring.ranking import RankRow
from xinbao.web.rows import join_rows, pk_url

register = template.Library()

DASH = "—"


def ratio(value: int, whole: int) -> str:
    """As ``{% widthratio value whole 100 %}``."""
    try:
        return str(round(float(value) / float(whole) * 100))
    except ZeroDivisionError:
        return "0"


def statement_url(name: str, year: Any, period: Any) -> Any:
    """``/scoring/…/<pk>/?year=Y&amp;period=P`` (escaped for an attribute) for a pk and an
    optional ``show``; the view is reversed once per table, not once per row."""
    path = pk_url(name)
    query = f"?year={escape(year)}&amp;period={escape(period.key)}"

    def url(pk: int, show: str = "") -> str:
        return f"{escape(path(pk))}{query}{f'&amp;show={show}' if show else ''}"

    return url


NUM = ' class="num"'


def cell(label: str, content: str, num: bool = True) -> str:
    return f'        <td data-label="{label}"{NUM if num else ""}>{content}</td>'


def link(href: str, text: Any) -> str:
    return f'<a href="{href}">{escape(text)}</a>'


@register.simple_tag
def unit_rank_rows(rows: Iterable[RankRow], year: Any, period: Any) -> SafeString:
    url = statement_url("scoring:statement", year, period)
    names = ["名次", "总名次", "单位", "得分", "报送", "计分采用", "采用率", "市级以上采用"]
    names += ["参阅类", "领导批示", "任务完成", "约稿回复"]
    label = {name: escape(_(name)) for name in names}
    out = []
    for row in rows:
        pk = row.unit.pk
        rate = f"{ratio(row.adopted, row.submitted)}%" if row.adoption_rate is not None else DASH
        high = link(url(pk, "high"), row.high_level)
        reference = link(url(pk, "reference"), row.reference)
        if row.adopted:
            high += f' <span class="muted">{ratio(row.high_level, row.adopted)}%</span>'
            reference += f' <span class="muted">{ratio(row.reference, row.adopted)}%</span>'
        quota = link(url(pk, "quota"), f"{row.submitted}/{row.quota}") if row.quota else DASH
        topics = (
            link(url(pk, "topic"), f"{row.topics_answered}/{row.topics}") if row.topics else DASH
        )
        cells = [
            cell(label["名次"], escape(row.rank)),
            cell(label["总名次"], escape(row.overall_rank)),
            cell(label["单位"], link(url(pk), row.unit.display_name), num=False),
            cell(label["得分"], link(url(pk), floatformat(row.points, "-2"))),
            cell(label["报送"], escape(row.submitted)),
            cell(label["计分采用"], link(url(pk, "adopted"), row.adopted)),
            cell(label["采用率"], rate),
            cell(label["市级以上采用"], high),
            cell(label["参阅类"], reference),
            cell(label["领导批示"], link(url(pk, "instruction"), row.instructions)),
            cell(label["任务完成"], quota),
            cell(label["约稿回复"], topics),
        ]
        out.append("      <tr>\n" + "\n".join(cells) + "\n      </tr>")
    return join_rows(out)


@register.simple_tag
def officer_rank_rows(rows: Iterable[RankRow], year: Any, period: Any) -> SafeString:
    url = statement_url("scoring:officer_statement", year, period)
    names = ("名次", "信息员", "单位", "得分", "报送", "计分采用", "采用率", "市级以上占比")
    label = {name: escape(_(name)) for name in (*names, "参阅类占比")}
    out = []
    for row in rows:
        assert row.officer is not None  # noqa: S101 - officer rows always carry their officer
        pk = row.officer.pk
        rate = f"{ratio(row.adopted, row.submitted)}%" if row.adoption_rate is not None else DASH
        high = reference = DASH
        if row.adopted:
            high = link(url(pk, "high"), f"{ratio(row.high_level, row.adopted)}%")
            reference = link(url(pk, "reference"), f"{ratio(row.reference, row.adopted)}%")
        cells = [
            cell(label["名次"], escape(row.rank)),
            cell(label["信息员"], link(url(pk), row.officer.display_name), num=False),
            cell(label["单位"], escape(row.unit.display_name), num=False),
            cell(label["得分"], link(url(pk), floatformat(row.points, "-2"))),
            cell(label["报送"], escape(row.submitted)),
            cell(label["计分采用"], link(url(pk, "adopted"), row.adopted)),
            cell(label["采用率"], rate),
            cell(label["市级以上占比"], high),
            cell(label["参阅类占比"], reference),
        ]
        out.append("      <tr>\n" + "\n".join(cells) + "\n      </tr>")
    return join_rows(out)
