"""Word (.docx) export of a publication issue, laid out after GB/T 9704-2012.

Page and type area: A4 (210 × 297 mm) with margins top 37, bottom 35, left 28, right 26 mm,
which leaves a type area of 156 × 225 mm. The body is 仿宋 三号 (16 pt), 22 lines of 28
characters a page. Both pitches are computed from the margins, never typed in. The line pitch
is the type-area height divided by 22, rounded down to a twip (579 twips = 28.95 pt); it is the
section's line grid (``w:docGrid type="lines"``) and the exact line spacing of every body
paragraph. Twenty-eight 16 pt characters (448 pt) are wider than the 442.2 pt line, so runs in
the body size are tracked tighter (``w:spacing``: the difference, rounded down to a twentieth of
a point, −0.25 pt), and exactly 28 fit. A character grid (``type="linesAndChars"`` with a
negative ``w:charSpace``) does the same in Word, but LibreOffice (checked with 7.4) gives each
16 pt character two cells of such a grid and prints 14 characters a line; tracking renders
alike in both. Paragraphs in other sizes (masthead, headlines, footer, distribution block) are
taken off the grid (``w:snapToGrid="0"``) and carry their own exact spacing.

Layout, top to bottom: a red masthead (publication name in 小标宋, the issue line
“2026年第12期（总第345期）”, the compiling department at the left and the date at the right over a
red rule); then each entry (an optional 编者按 with its label in 黑体 and its text in 楷体; the
headline centred in 小标宋 二号; the body paragraphs in 仿宋 三号 with a first-line indent of
two characters; the source line at the right); and at the end the distribution block (版记)
between two rules: the 报送/抄送 lines and the editor and signer. Page numbers are “— 1 —” in
宋体 四号, at the outer side as the standard asks (odd pages right, even pages left, one
character in from the edge of the type area).

Fonts: every role has a tuple of names, the one offices expect first (``FANGSONG =
("仿宋_GB2312", "仿宋", "FangSong", …)``). Only the first is written on the runs, as the East Asian
font (``w:rFonts/@w:eastAsia``; python-docx's ``font.name`` sets only the Latin slots), with
``w:hint="eastAsia"`` so that quotation marks and dashes take the Chinese font too. The rest of
the tuple goes into the document's font table as the font's alternate names (``w:altName``) with
the GB2312 character set, which is what a word processor consults when the first font is not
installed; Word and WPS otherwise substitute by character set and family, LibreOffice through its
replacement table and fontconfig, so a machine without the 方正/GB2312 fonts still prints with an
installed Chinese serif or sans font. Latin letters and digits use Times New Roman, as is usual
in these documents (the page number uses 宋体 as the standard asks).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Length, Mm, Pt, RGBColor, Twips

if TYPE_CHECKING:
    import datetime

    from xinbao.publishing.models import IssueEntry, PublicationIssue

__all__ = [
    "FANGSONG",
    "HEITI",
    "KAITI",
    "SONGTI",
    "XIAOBIAOSONG",
    "chinese_date",
    "headline_lines",
    "issue_docx",
    "issue_filename",
]

# Font roles, most wanted first; see the module docstring for how the fallbacks are used.
XIAOBIAOSONG = ("方正小标宋简体", "方正小标宋_GBK", "华文中宋", "宋体", "SimSun")
FANGSONG = ("仿宋_GB2312", "仿宋", "FangSong", "华文仿宋")
KAITI = ("楷体_GB2312", "楷体", "KaiTi", "华文楷体")
HEITI = ("黑体", "SimHei", "微软雅黑")
SONGTI = ("宋体", "SimSun", "华文宋体")
LATIN = "Times New Roman"
FONT_ROLES = (XIAOBIAOSONG, FANGSONG, KAITI, HEITI, SONGTI)

RED = RGBColor(0xFF, 0x00, 0x00)
RED_HEX = "FF0000"

# GB/T 9704-2012 page, type area and grid.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
TOP_MARGIN, BOTTOM_MARGIN = Mm(37), Mm(35)
LEFT_MARGIN, RIGHT_MARGIN = Mm(28), Mm(26)
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
BODY_SIZE = Pt(16)  # 三号
HEADLINE_SIZE = Pt(22)  # 二号
FOOTER_SIZE = Pt(14)  # 四号
DISTRIBUTION_SIZE = Pt(14)  # 四号
MASTHEAD_MAX_SIZE = Pt(60)
PAGE_NUMBER_GAP = Mm(7)  # from the bottom of the type area to the page-number line

TYPE_WIDTH = Emu(PAGE_WIDTH - LEFT_MARGIN - RIGHT_MARGIN)
TYPE_HEIGHT = Emu(PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN)
LINE_PITCH = Twips(math.floor(TYPE_HEIGHT.twips / LINES_PER_PAGE))
# Tracking of body-size runs so that CHARS_PER_LINE characters fit a line (w:spacing is in
# twentieths of a point), and the resulting character pitch.
TRACKING = Twips(math.floor((TYPE_WIDTH.pt / CHARS_PER_LINE - BODY_SIZE.pt) * 20))
CHAR_PITCH = Emu(BODY_SIZE + TRACKING)

# Where elements we add by hand go among their siblings (the schema fixes the order).
_PPR_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_PPR_AFTER_SNAP = _PPR_AFTER_PBDR[_PPR_AFTER_PBDR.index("w:snapToGrid") + 1 :]
_RPR_AFTER_SPACING = (
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)
_RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_SECTPR_AFTER_DOCGRID = ("w:printerSettings", "w:sectPrChange")

HEADLINE_CHARS = math.floor(TYPE_WIDTH.pt / HEADLINE_SIZE.pt)  # full-width characters a line
_CLOSING = frozenset("，、：；！？。”’）》】〕,:;!?)")
_OPENING = frozenset("“‘（《【〔(")
_LEADING_BLANKS = re.compile(r"^[\s\u3000]+")


def chinese_date(day: datetime.date | None) -> str:
    """“2026年11月28日”: Arabic numerals, as GB/T 9704-2012 writes dates."""
    if day is None:
        return ""
    return _("%(year)d年%(month)d月%(day)d日") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def issue_line(issue: PublicationIssue) -> str:
    """“2026年第12期（总第345期）”, with “（更正版）” for a correction."""
    line = issue.number_label
    if issue.total_number is not None:
        line += _("（%(total)s）") % {"total": issue.total_label}
    if issue.revision:
        line += _("（更正版）")
    return line


def issue_filename(issue: PublicationIssue, suffix: str = ".docx") -> str:
    """A file name such as “组工信息2026年第12期.docx”, safe on every file system."""
    name = f"{issue.publication.name}{issue.number_label}"
    if issue.revision:
        name += _("更正版")
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", name)
    return f"{name}{suffix}"


def issue_docx(issue: PublicationIssue) -> bytes:
    """The issue as a Word document (see the module docstring for the layout)."""
    document = Document()
    _set_up_document(document, issue)
    _add_masthead(document, issue)
    entries = list(issue.entries.order_by("position", "id"))
    for index, entry in enumerate(entries):
        _add_entry(document, entry, first=index == 0)
    _add_distribution(document, issue)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- document set-up ---------------------------------------------------------------------------


def _set_up_document(document: Any, issue: PublicationIssue) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = TOP_MARGIN, BOTTOM_MARGIN
    section.left_margin, section.right_margin = LEFT_MARGIN, RIGHT_MARGIN
    section.gutter = 0
    section.header_distance = Mm(15)
    # The footer's line sits PAGE_NUMBER_GAP below the type area; footer_distance is measured
    # from the page's bottom edge to the bottom of that line.
    section.footer_distance = Emu(BOTTOM_MARGIN - PAGE_NUMBER_GAP - FOOTER_SIZE)
    _set_doc_grid(section._sectPr)

    _set_defaults(document)
    _declare_fonts(document)
    document.settings.odd_and_even_pages_header_footer = True
    _set_compatibility(document)
    _add_page_numbers(section)

    properties = document.core_properties
    properties.title = f"{issue.publication.name} {issue_line(issue)}"
    properties.author = issue.publication.department.name
    properties.subject = issue.title
    properties.keywords = ""
    properties.comments = ""
    properties.last_modified_by = issue.compiler or issue.publication.department.name
    properties.created = properties.modified = issue.published_at or timezone.now()
    properties.revision = issue.revision + 1


def _set_doc_grid(sect_pr: Any) -> None:
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.insert_element_before(grid, *_SECTPR_AFTER_DOCGRID)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH.twips))
    grid.attrib.pop(qn("w:charSpace"), None)


def _set_defaults(document: Any) -> None:
    """Document defaults: body font and size, Chinese language, no space after paragraphs."""
    styles = document.styles.element
    r_pr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(r_pr):
        r_pr.remove(child)
    r_pr.append(
        parse_xml(
            f'<w:rFonts {nsdecls("w")} w:ascii="{LATIN}" w:hAnsi="{LATIN}" '
            f'w:eastAsia="{FANGSONG[0]}" w:cs="{LATIN}" w:hint="eastAsia"/>'
        )
    )
    size = str(int(BODY_SIZE.pt * 2))
    r_pr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="{size}"/>'))
    r_pr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="{size}"/>'))
    r_pr.append(
        parse_xml(f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>')
    )
    p_pr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for child in list(p_pr):
        p_pr.remove(child)
    # overflowPunct on is Word's own default (punctuation may hang past the line end). Said
    # explicitly, LibreOffice (7.4) imports it as *no* hanging punctuation, which it needs:
    # in justified paragraphs it hangs a line-final comma and then does not print it.
    p_pr.append(parse_xml(f'<w:overflowPunct {nsdecls("w")} w:val="1"/>'))
    p_pr.append(
        parse_xml(f'<w:spacing {nsdecls("w")} w:after="0" w:line="240" w:lineRule="auto"/>')
    )
    # The template's Normal style repeats Latin theme fonts; let it inherit the defaults.
    normal = document.styles["Normal"]
    normal_r_pr = normal.element.find(qn("w:rPr"))
    if normal_r_pr is not None:
        normal.element.remove(normal_r_pr)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.widow_control = True


def _declare_fonts(document: Any) -> None:
    """Add each role's first font to the font table with the rest as alternate names."""
    part = next(
        p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    )
    fonts = parse_xml(part.blob)
    declared = {f.get(qn("w:name")) for f in fonts.findall(qn("w:font"))}
    for role in FONT_ROLES:
        if role[0] in declared:
            continue
        family = "modern" if role in (FANGSONG, HEITI) else "roman"
        alternates = ",".join(role[1:])
        fonts.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{role[0]}">'
                f'<w:altName w:val="{alternates}"/>'
                f'<w:charset w:val="86"/>'
                f'<w:family w:val="{family}"/>'
                f'<w:pitch w:val="variable"/>'
                f"</w:font>"
            )
        )
        declared.add(role[0])
    part._blob = serialize_part_xml(fonts)


def _set_compatibility(document: Any) -> None:
    settings = document.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    # A justified line that ends in a line break (before a source line) is not stretched.
    compat = settings.find(qn("w:compat"))
    if compat is not None and compat.find(qn("w:doNotExpandShiftReturn")) is None:
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))


def _add_page_numbers(section: Any) -> None:
    """“— N —” in 宋体 四号: odd pages at the right, even pages at the left, one character in."""
    for footer, alignment in (
        (section.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT),
        (section.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = alignment
        fmt = paragraph.paragraph_format
        if alignment == WD_PARAGRAPH_ALIGNMENT.RIGHT:
            fmt.right_indent = FOOTER_SIZE
        else:
            fmt.left_indent = FOOTER_SIZE
        _exact_spacing(paragraph, FOOTER_SIZE)
        _no_grid(paragraph)
        _add_run(paragraph, "— ", SONGTI, FOOTER_SIZE, latin=SONGTI[0])
        _add_page_field(paragraph)
        _add_run(paragraph, " —", SONGTI, FOOTER_SIZE, latin=SONGTI[0])


def _add_page_field(paragraph: Any) -> None:
    def field_run(kind: str | None, text: str | None = None) -> None:
        run = _add_run(paragraph, "", SONGTI, FOOTER_SIZE, latin=SONGTI[0])
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        if text is not None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)

    field_run("begin")
    field_run(None, " PAGE ")
    field_run("separate")
    _add_run(paragraph, "1", SONGTI, FOOTER_SIZE, latin=SONGTI[0])
    field_run("end")


# --- masthead ----------------------------------------------------------------------------------


def _masthead_size(name: str) -> Length:
    """As large as looks right for a short name, small enough for a long one to fit a line."""
    fitting = TYPE_WIDTH.pt * 0.85 / max(len(name), 1)
    return Pt(min(MASTHEAD_MAX_SIZE.pt, math.floor(fitting)))


def _add_masthead(document: Any, issue: PublicationIssue) -> None:
    publication = issue.publication
    name_size = _masthead_size(publication.name)
    name = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    name.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    _exact_spacing(name, Pt(math.ceil(name_size.pt * 1.3)))
    _no_grid(name)
    name.paragraph_format.space_after = Pt(6)
    run = _add_run(name, publication.name, XIAOBIAOSONG, name_size, latin=XIAOBIAOSONG[0])
    run.font.color.rgb = RED
    if len(publication.name) <= 6:
        # Short names are spread a little, as printed mastheads are.
        _letter_spacing(run, Pt(name_size.pt * 0.15))

    number = document.add_paragraph()
    number.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    _exact_spacing(number, LINE_PITCH)
    _no_grid(number)
    _add_run(number, issue_line(issue), FANGSONG, BODY_SIZE)

    if issue.title:
        title = document.add_paragraph()
        title.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
        _exact_spacing(title, LINE_PITCH)
        _no_grid(title)
        _add_run(title, issue.title, KAITI, BODY_SIZE)

    # The compiling department at the left, the date at the right, over the red rule.
    byline = document.add_paragraph()
    fmt = byline.paragraph_format
    fmt.space_before = Pt(6)
    fmt.left_indent = fmt.right_indent = CHAR_PITCH
    # Tab positions count from the margin, not from the indent.
    fmt.tab_stops.add_tab_stop(Emu(TYPE_WIDTH - CHAR_PITCH), WD_TAB_ALIGNMENT.RIGHT)
    _exact_spacing(byline, LINE_PITCH)
    _no_grid(byline)
    _add_run(byline, publication.department.name, FANGSONG, BODY_SIZE)
    _add_run(byline, "\t" + chinese_date(issue.issue_date), FANGSONG, BODY_SIZE)
    # The rule spans the whole type area, so it is the border of a paragraph of its own
    # (a border on the indented byline would be indented with it).
    rule = document.add_paragraph()
    _exact_spacing(rule, Pt(4))
    _no_grid(rule)
    _border(rule, "bottom", size_eighths=18, color=RED_HEX, space=0)


# --- entries -----------------------------------------------------------------------------------


def _paragraph_lines(text: str) -> list[str]:
    """One paragraph per line; blank lines and typed indentation (full-width spaces) dropped."""
    lines = (_LEADING_BLANKS.sub("", line).rstrip() for line in text.splitlines())
    return [line for line in lines if line]


def _add_entry(document: Any, entry: IssueEntry, *, first: bool) -> None:
    note_lines = _paragraph_lines(entry.editor_note)
    for index, line in enumerate(note_lines):
        note = _body_paragraph(document)
        if index == 0:
            note.paragraph_format.space_before = LINE_PITCH if first else Twips(0)
            _add_run(note, _("编者按："), HEITI, BODY_SIZE)
        _add_run(note, line, KAITI, BODY_SIZE)
        note.paragraph_format.keep_with_next = True

    headline = document.add_paragraph()
    headline.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    fmt = headline.paragraph_format
    fmt.space_before = LINE_PITCH if (not first or not note_lines) else Emu(LINE_PITCH // 2)
    fmt.space_after = Emu(LINE_PITCH // 2)
    fmt.keep_with_next = True
    fmt.keep_together = True
    _exact_spacing(headline, Pt(math.ceil(HEADLINE_SIZE.pt * 1.45)))
    _no_grid(headline)
    for index, line in enumerate(headline_lines(entry.headline)):
        run = _add_run(headline, line, XIAOBIAOSONG, HEADLINE_SIZE)
        if index:
            run._element.insert(run._element.index(run._element.rPr) + 1, OxmlElement("w:br"))

    paragraph = None
    for line in _paragraph_lines(entry.text):
        paragraph = _body_paragraph(document)
        _add_run(paragraph, line, FANGSONG, BODY_SIZE)

    source_line = entry.source_line.strip()
    if not source_line:
        return
    if paragraph is None:
        paragraph = _body_paragraph(document)
    else:
        # The source line is the last line of the last paragraph, after a line break, set at
        # the right by a right tab stop: widow control then keeps it with the line above it,
        # which "keep with next" cannot do (LibreOffice moves a whole kept paragraph).
        paragraph.add_run().add_break()
    paragraph.paragraph_format.tab_stops.add_tab_stop(TYPE_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _add_run(paragraph, "\t" + source_line, KAITI, BODY_SIZE)


def _text_width(text: str) -> float:
    """Width in full-width characters: Latin letters, digits and spaces count half."""
    return sum(0.5 if ord(char) < 0x2000 else 1.0 for char in text)


def headline_lines(headline: str) -> list[str]:
    """A headline too long for one line, broken at the punctuation nearest its middle.

    GB/T 9704 asks that a title running over lines be broken where the sense allows and the
    lines be balanced; left to itself a renderer leaves the last character or two alone on the
    second line. Break points are after a closing mark (”，、：…) or before an opening one (“（…)
    or at a space. Without a break point that keeps both lines within the measure, the headline
    is returned whole and wraps where the renderer wraps it.
    """
    headline = headline.strip()
    total = _text_width(headline)
    if total <= HEADLINE_CHARS:
        return [headline]
    candidates = [
        i
        for i in range(1, len(headline))
        if headline[i] not in _CLOSING
        and headline[i - 1] not in _OPENING
        and (headline[i - 1] in _CLOSING or headline[i] in _OPENING or headline[i] == " ")
    ]
    for i in sorted(candidates, key=lambda i: abs(_text_width(headline[:i]) - total / 2)):
        first, second = headline[:i].rstrip(), headline[i:].lstrip()
        if max(_text_width(first), _text_width(second)) <= HEADLINE_CHARS:
            return [first, second]
    return [headline]


def _body_paragraph(document: Any) -> Any:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_PARAGRAPH_ALIGNMENT.JUSTIFY
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Pt(BODY_SIZE.pt * 2)
    fmt.widow_control = True
    _exact_spacing(paragraph, LINE_PITCH)
    # Word measures the indent in characters of the grid when firstLineChars is present.
    paragraph._p.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
    return paragraph


# --- distribution block (版记) -----------------------------------------------------------------


def _distribution_lines(issue: PublicationIssue) -> list[str]:
    lines = _paragraph_lines(issue.distribution)
    people = []
    if issue.compiler:
        people.append(_("编辑：%(name)s") % {"name": issue.compiler})
    if issue.signer:
        people.append(_("签发：%(name)s") % {"name": issue.signer})
    if people:
        lines.append("\u3000\u3000".join(people))
    return lines


def _add_distribution(document: Any, issue: PublicationIssue) -> None:
    """The 版记 as a one-column table: a rule above and below, thin rules between lines."""
    lines = _distribution_lines(issue)
    if not lines:
        return
    spacer = document.add_paragraph()
    _exact_spacing(spacer, LINE_PITCH)
    spacer.paragraph_format.keep_with_next = True
    table = document.add_table(rows=len(lines), cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_borders(table._tbl, top=8, bottom=8, inside=4)
    for row, line in zip(table.rows, lines, strict=True):
        cell = row.cells[0]
        cell.width = TYPE_WIDTH
        _cant_split(row._tr)
        paragraph = cell.paragraphs[0]
        fmt = paragraph.paragraph_format
        fmt.left_indent = fmt.right_indent = DISTRIBUTION_SIZE
        fmt.keep_with_next = True
        _exact_spacing(paragraph, LINE_PITCH)
        _no_grid(paragraph)
        _add_run(paragraph, line, FANGSONG, DISTRIBUTION_SIZE)
    _fix_table_width(table._tbl)


def _table_borders(tbl: Any, *, top: int, bottom: int, inside: int) -> None:
    tbl_pr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge, size in (
        ("top", top),
        ("left", 0),
        ("bottom", bottom),
        ("right", 0),
        ("insideH", inside),
        ("insideV", 0),
    ):
        element = OxmlElement(f"w:{edge}")
        if size:
            element.set(qn("w:val"), "single")
            element.set(qn("w:sz"), str(size))
            element.set(qn("w:color"), "000000")
        else:
            element.set(qn("w:val"), "nil")
        element.set(qn("w:space"), "0")
        borders.append(element)
    existing = tbl_pr.find(qn("w:tblBorders"))
    if existing is not None:
        tbl_pr.remove(existing)
    # tblBorders follows tblStyle..tblInd in CT_TblPr; python-docx knows the order.
    tbl_pr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )
    style = tbl_pr.find(qn("w:tblStyle"))
    if style is not None:
        tbl_pr.remove(style)


def _fix_table_width(tbl: Any) -> None:
    tbl_pr = tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.insert_element_before(
            width, "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd"
        )
    width.set(qn("w:w"), str(TYPE_WIDTH.twips))
    width.set(qn("w:type"), "dxa")
    if tbl_pr.find(qn("w:tblLayout")) is None:  # table.autofit = False normally adds it
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tbl_pr.insert_element_before(layout, "w:tblCellMar", "w:tblLook", "w:tblCaption")
    for col in tbl.tblGrid.findall(qn("w:gridCol")):
        col.set(qn("w:w"), str(TYPE_WIDTH.twips))


def _cant_split(tr: Any) -> None:
    tr_pr = tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


# --- run and paragraph helpers -----------------------------------------------------------------


def _add_run(
    paragraph: Any,
    text: str,
    role: Sequence[str],
    size: Length,
    *,
    latin: str = LATIN,
) -> Any:
    """A run in the role's first font (East Asian slot) and ``latin`` for Latin text; runs in
    the body size are tracked to the character pitch."""
    run = paragraph.add_run(text)
    if size == BODY_SIZE:
        _letter_spacing(run, TRACKING)
    run.font.size = size
    run.font.name = latin  # sets w:ascii and w:hAnsi only
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), role[0])
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")
    return run


def _letter_spacing(run: Any, amount: Length) -> None:
    r_pr = run._element.get_or_add_rPr()
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(amount.twips))
    r_pr.insert_element_before(spacing, *_RPR_AFTER_SPACING)


def _exact_spacing(paragraph: Any, pitch: Length) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = pitch


def _no_grid(paragraph: Any) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p_pr.insert_element_before(snap, *_PPR_AFTER_SNAP)


def _border(paragraph: Any, edge: str, *, size_eighths: int, color: str, space: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.insert_element_before(borders, *_PPR_AFTER_PBDR)
    line = OxmlElement(f"w:{edge}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    borders.append(line)
