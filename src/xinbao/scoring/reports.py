"""Files made from the ranking: the monthly or quarterly 通报 draft (Word, in the official layout
of ``publishing.docx``: the same page set-up, fonts, masthead, headline, body and 版记 helpers)
and the statistics table 各单位信息报送和采用情况统计表 (.xlsx with frozen header rows)."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from xinbao.orgs.models import Unit
from xinbao.publishing.docx.body import add_distribution, add_entry
from xinbao.publishing.docx.layout import set_up_document
from xinbao.publishing.docx.masthead import add_masthead
from xinbao.publishing.models import IssueEntry, Publication, PublicationIssue
from xinbao.scoring.periods import Period
from xinbao.scoring.ranking import Ranking, unit_ranking
from xinbao.scoring.yearend import completion_text, criticism, good_items

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _points(value: object) -> str:
    text = f"{value:f}" if not isinstance(value, str) else value
    return text.rstrip("0").rstrip(".") if "." in text else text


def bulletin_title(department: Unit, period: Period) -> str:
    return _("关于%(period)s全县组工信息工作情况的通报") % {"period": period.label}


def bulletin_text(department: Unit, period: Period) -> str:
    """The 通报's body, one paragraph a line: totals, the leading units of each class, the good
    items, the units with nothing in the period and the topics missed."""
    ranking = unit_ranking(department, period)
    rows = ranking.overall
    submitted = sum(r.submitted for r in rows)
    adopted = sum(r.adopted for r in rows)
    high = sum(r.high_level for r in rows)
    paragraphs = [
        _(
            "%(period)s,全县各单位共报送信息%(submitted)d条,计分采用%(adopted)d条,"
            "其中被市级以上采用%(high)d条。现将有关情况通报如下。"
        )
        % {"period": period.label, "submitted": submitted, "adopted": adopted, "high": high}
    ]
    paragraphs.append(_("一、各类单位得分排名情况"))
    for group in ranking.groups:
        leaders = [r for r in group.rows if r.points > 0][:5]
        if leaders:
            names = "、".join(
                _("%(unit)s(%(points)s分)")
                % {"unit": r.unit.display_name, "points": _points(r.points)}
                for r in leaders
            )
            paragraphs.append(
                _("%(label)s:得分居前的是%(names)s。") % {"label": group.label, "names": names}
            )
    items = good_items(department, period, 5)
    if items:
        paragraphs.append(_("二、好信息"))
        paragraphs.append(
            _("本期被采用、得分较高的信息有:%(titles)s。")
            % {"titles": "、".join(f"{g.item.unit.display_name}《{g.item.title}》" for g in items)}
        )
    silent = [r for r in rows if r.submitted == 0]
    missed = criticism(department, period.year, period.end + datetime.timedelta(days=1))
    paragraphs.append(_("三、存在的问题"))
    if silent:
        paragraphs.append(
            _("%(units)s本期未报送信息,请引起重视。")
            % {"units": "、".join(r.unit.display_name for r in silent)}
        )
    in_period = [(unit, titles) for unit, titles in missed.missed_topics if titles]
    if in_period:
        paragraphs.append(
            _("%(units)s本年度有约稿未回复。")
            % {"units": "、".join(unit.display_name for unit, _t in in_period)}
        )
    if not silent and not in_period:
        paragraphs.append(_("本期各单位均按要求报送了信息。"))
    paragraphs.append(
        _("请各单位对照通报,查找不足,进一步提高信息报送的数量和质量。详细得分见附表。")
    )
    return "\n".join(paragraphs)


def bulletin_docx(department: Unit, period: Period, *, number: int | None = None) -> bytes:
    """The 通报 draft: a masthead of the department's 信息工作通报, one entry (title and body),
    and the 版记. Nothing is saved: the issue and entry objects exist only to be laid out."""
    today = timezone.localdate()
    publication = Publication(
        department=department,
        name=str(_("组工信息工作通报")),
        kind=Publication.Kind.BULLETIN,
    )
    issue = PublicationIssue(
        publication=publication,
        year=period.year,
        number=number if number is not None else _period_number(period),
        issue_date=today,
        title=period.label,
        distribution=str(_("报送:部领导\n发送:各乡镇党委,县直各单位党组(党委)")),
        compiler=str(department.short_name or department.name),
    )
    entry = IssueEntry(
        issue=issue,
        headline=bulletin_title(department, period),
        text=bulletin_text(department, period),
        source_line=str(department.name),
    )
    document = Document()
    set_up_document(document, issue)
    add_masthead(document, issue)
    add_entry(document, entry, first=True)
    add_distribution(document, issue)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _period_number(period: Period) -> int:
    if period.kind == "quarter":
        return (period.start.month + 2) // 3
    return period.start.month


HEADERS = (
    ("名次", "rank"),
    ("单位", "unit"),
    ("单位类别", "class"),
    ("得分", "points"),
    ("报送", "submitted"),
    ("计分采用", "adopted"),
    ("采用率", "rate"),
    ("市级以上采用", "high"),
    ("市级以上占比", "high_share"),
    ("参阅类", "reference"),
    ("参阅类占比", "reference_share"),
    ("领导批示", "instructions"),
    ("任务数", "quota"),
    ("任务完成率", "completion"),
    ("约稿", "topics"),
    ("约稿回复", "answered"),
)
HEADER_ROWS = 3  # title, period line, column headings: frozen


def statistics_xlsx(department: Unit, ranking: Ranking) -> bytes:
    """各单位信息报送和采用情况统计表: one sheet, units by class then rank; the three header
    rows stay in view when scrolling (``freeze_panes`` below them, right of the unit name).

    Written in openpyxl's write-only mode (rows streamed once, no cell objects kept), so a
    province's 3,000 units take a fraction of the time of a normal workbook."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(_("统计表")))
    width = len(HEADERS)
    last = get_column_letter(width)
    # Sheet-level settings go before the first row is written.
    ws.freeze_panes = f"C{HEADER_ROWS + 1}"
    ws.print_title_rows = f"1:{HEADER_ROWS}"
    ws.column_dimensions["B"].width = 28
    for column in range(3, width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 11
    ws.merged_cells.add(f"A1:{last}1")
    ws.merged_cells.add(f"A2:{last}2")

    def styled(value: object, **style: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    title = styled(
        str(_("各单位信息报送和采用情况统计表")),
        font=Font(bold=True, size=16),
        alignment=Alignment(horizontal="center"),
    )
    ws.append([title])
    line = _("%(dept)s %(period)s(截至%(today)s)") % {
        "dept": department.name,
        "period": ranking.period.label,
        "today": timezone.localdate().isoformat(),
    }
    ws.append([line])
    thin = Side(style="thin")
    head_font = Font(bold=True)
    head_align = Alignment(horizontal="center", wrap_text=True)
    head_border = Border(top=thin, bottom=thin, left=thin, right=thin)
    ws.append(
        [
            styled(str(_(label)), font=head_font, alignment=head_align, border=head_border)
            for label, _key in HEADERS
        ]
    )
    for group in ranking.groups:
        for r in group.rows:
            ws.append(
                (
                    r.rank,
                    r.unit.display_name,
                    group.label,
                    float(r.points),
                    r.submitted,
                    r.adopted,
                    _percent(r.adoption_rate),
                    r.high_level,
                    _percent(r.high_share),
                    r.reference,
                    _percent(r.reference_share),
                    r.instructions,
                    r.quota if r.quota is not None else "—",
                    completion_text(r),
                    r.topics,
                    r.topics_answered,
                )
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ranking_xlsx(department: Unit, ranking: Ranking, *, officers: bool = False) -> bytes:
    """The command line's ``--format xlsx``: the statistics table, or for officers a flat
    table of the same columns with the officer's name."""
    if not officers:
        return statistics_xlsx(department, ranking)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101
    heads = ("名次", "信息员", "单位", "得分", "报送", "计分采用", "市级以上采用", "参阅类")
    ws.append([str(_(head)) for head in heads])
    for r in ranking.overall:
        ws.append([r.rank, r.officer.display_name if r.officer else "", r.unit.display_name,
                   float(r.points), r.submitted, r.adopted, r.high_level, r.reference])  # fmt: skip
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
