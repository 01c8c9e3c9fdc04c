"""The monthly report (月度通报): last month's figures, the best and the silent units, urgent
items' timeliness and the open topics, for one department and one month.

``monthly_report`` gathers the numbers (from the dashboard's cached facts, so the report, the
dashboard and the API agree); ``report_text`` is the short inbox message, ``report_email`` the
e-mail, ``report_docx`` the Word file in the official layout (``publishing.docx`` fonts, page
and helpers).
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.shared import Pt

from xinbao.dashboard import cache
from xinbao.dashboard.facts import UnitFacts, median_hours, p90_hours
from xinbao.dashboard.figures import percent, pooled
from xinbao.dashboard.periods import Period
from xinbao.dashboard.queries import cached_facts
from xinbao.orgs.models import Unit
from xinbao.publishing.docx import FANGSONG, HEITI, XIAOBIAOSONG, chinese_date
from xinbao.publishing.docx.layout import (
    BODY_SIZE,
    HEADLINE_SIZE,
    LINE_PITCH,
    add_run,
    exact_spacing,
    no_grid,
    set_up_page,
)
from xinbao.topics.models import Topic

TOP_UNITS = 5


@dataclass
class OpenTopic:
    title: str
    deadline: datetime.datetime


@dataclass
class MonthlyReport:
    department: Unit
    period: Period
    total: UnitFacts
    units: list[UnitFacts]
    top: list[UnitFacts]
    silent: list[UnitFacts]
    urgent: int
    urgent_late: int
    urgent_median: float | None
    urgent_p90: float | None
    topics: list[OpenTopic] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("%(month)s信息工作月报") % {"month": self.period.label}


def monthly_report(department: Unit, period: Period) -> MonthlyReport:
    stamp = cache.version(department.pk)
    facts = cached_facts(department, period, stamp)
    units = list(facts.units.values())
    top = sorted(
        (u for u in units if u.adopted or u.high_level),
        key=lambda u: (-u.high_level, -u.adopted, -u.submitted),
    )[:TOP_UNITS]
    submit_hours = [h for u in units for h in u.urgent_hours]
    topics = [
        OpenTopic(title=t.title, deadline=t.deadline)
        for t in Topic.objects.filter(department=department, state=Topic.State.OPEN).order_by(
            "deadline", "id"
        )[:20]
    ]
    return MonthlyReport(
        department=department,
        period=period,
        total=pooled(units),
        units=units,
        top=top,
        silent=[u for u in units if not u.submitted],
        urgent=sum(u.urgent for u in units),
        urgent_late=sum(u.urgent_late for u in units),
        urgent_median=median_hours(submit_hours),
        urgent_p90=p90_hours(submit_hours),
        topics=topics,
    )


def _names(units: list[UnitFacts], limit: int = 10) -> str:
    names = "、".join(u.name for u in units[:limit])
    if len(units) > limit:
        names += _("等%(n)d个单位") % {"n": len(units)}
    return names or _("无")


def report_lines(report: MonthlyReport) -> dict[str, list[str]]:
    """The report's paragraphs by section (shared by the e-mail and the Word file)."""
    t = report.total
    rate = percent(t.adoption_rate)
    overview = [
        _(
            "%(month)s,全县各单位共报送信息%(submitted)d条,县级采用%(adopted)d条,"
            "采用率%(rate)s;市级以上采用%(high)d条,获领导批示%(instructions)d条;"
            "退回修改%(returned)d条。"
        )
        % {
            "month": report.period.label,
            "submitted": t.submitted,
            "adopted": t.adopted,
            "rate": f"{rate}%" if rate is not None else "—",
            "high": t.high_level,
            "instructions": t.instructions,
            "returned": t.returned,
        }
    ]
    top = [
        _("%(name)s:报送%(s)d条,采用%(a)d条,市级以上采用%(h)d条。")
        % {"name": u.name, "s": u.submitted, "a": u.adopted, "h": u.high_level}
        for u in report.top
    ] or [_("本月没有单位的信息被采用。")]
    silent = [
        _("本月未报送信息的单位(%(n)d个):%(names)s。")
        % {"n": len(report.silent), "names": _names(report.silent, 50)}
        if report.silent
        else _("本月各单位均有信息报送。")
    ]
    urgent = [
        _(
            "本月报达的紧急信息%(n)d条,其中超过时限报达%(late)d条;紧急信息从事件到报达的"
            "中位数为%(median)s小时,P90为%(p90)s小时。"
        )
        % {
            "n": report.urgent,
            "late": report.urgent_late,
            "median": report.urgent_median if report.urgent_median is not None else "—",
            "p90": report.urgent_p90 if report.urgent_p90 is not None else "—",
        }
    ]
    topics = [
        _("《%(title)s》,%(deadline)s截止。")
        % {"title": topic.title, "deadline": chinese_date(timezone.localdate(topic.deadline))}
        for topic in report.topics
    ] or [_("目前没有征集中的约稿。")]
    return {
        _("一、总体情况"): overview,
        _("二、采用较多的单位"): top,
        _("三、未报送的单位"): silent,
        _("四、紧急信息时效"): urgent,
        _("五、征集中的约稿"): topics,
    }


def report_text(report: MonthlyReport) -> str:
    """The inbox message (at most 300 characters, the inbox's limit)."""
    t = report.total
    text = _(
        "%(title)s:报送%(s)d条,采用%(a)d条,市级以上采用%(h)d条;采用较多:%(top)s;"
        "未报送单位%(silent)d个;紧急信息%(u)d条(超时%(late)d条);征集中约稿%(topics)d个。"
        "详见统计分析页面。"
    ) % {
        "title": report.title,
        "s": t.submitted,
        "a": t.adopted,
        "h": t.high_level,
        "top": _names(report.top, 3),
        "silent": len(report.silent),
        "u": report.urgent,
        "late": report.urgent_late,
        "topics": len(report.topics),
    }
    return text[:300]


def report_email(report: MonthlyReport) -> tuple[str, str]:
    """(subject, plain-text body)."""
    lines = [report.department.name + " " + report.title, ""]
    for heading, paragraphs in report_lines(report).items():
        lines.append(heading)
        lines += paragraphs
        lines.append("")
    return f"[{_('信报')}] {report.title}", "\n".join(lines)


def _paragraph(document: Any, text: str, role: tuple[str, ...], *, indent: bool = True) -> Any:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_PARAGRAPH_ALIGNMENT.JUSTIFY
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(BODY_SIZE.pt * 2)
    exact_spacing(paragraph, LINE_PITCH)
    add_run(paragraph, text, role, BODY_SIZE)
    return paragraph


def report_docx(report: MonthlyReport) -> bytes:
    """The report as a Word file on the official page of the publications' export
    (``publishing.docx.layout.set_up_page``: A4, margins, line grid, fonts, and the “— N —”
    PAGE field in the footers, odd pages right, even pages left), the title in 小标宋 二号,
    headings in 黑体, text in 仿宋 三号, and a table per unit."""
    document = Document()
    set_up_page(document)
    properties = document.core_properties
    properties.title = report.title
    properties.author = report.department.name

    title = document.add_paragraph()
    title.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    exact_spacing(title, Pt(HEADLINE_SIZE.pt * 1.45))
    no_grid(title)
    add_run(title, report.title, XIAOBIAOSONG, HEADLINE_SIZE)
    byline = document.add_paragraph()
    byline.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    exact_spacing(byline, LINE_PITCH)
    add_run(
        byline,
        f"{report.department.name}  {chinese_date(timezone.localdate())}",
        FANGSONG,
        BODY_SIZE,
    )
    for heading, paragraphs in report_lines(report).items():
        _paragraph(document, heading, HEITI)
        for text in paragraphs:
            _paragraph(document, text, FANGSONG)

    _paragraph(document, _("附:各单位报送采用情况"), HEITI, indent=False)
    headings = [_("单位"), _("报送"), _("县级采用"), _("市级以上采用"), _("领导批示")]
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        add_run(cell.paragraphs[0], text, HEITI, Pt(12))
    for u in report.units:
        cells = table.add_row().cells
        values = [u.name, u.submitted, u.adopted, u.high_level, u.instructions]
        for cell, value in zip(cells, values, strict=True):
            add_run(cell.paragraphs[0], str(value), FANGSONG, Pt(12))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def report_filename(report: MonthlyReport) -> str:
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{report.department.name}{report.title}")
    return f"{name}.docx"
