"""The body of an issue: each entry (编者按, headline, paragraphs, source line) and, at the end,
the distribution block (版记).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt, Twips

from xinbao.publishing.docx.layout import (
    BODY_SIZE,
    DISTRIBUTION_SIZE,
    FANGSONG,
    HEADLINE_SIZE,
    HEITI,
    KAITI,
    LINE_PITCH,
    TYPE_WIDTH,
    XIAOBIAOSONG,
    add_run,
    exact_spacing,
    no_grid,
)

if TYPE_CHECKING:
    from xinbao.publishing.models import IssueEntry, PublicationIssue


HEADLINE_CHARS = math.floor(TYPE_WIDTH.pt / HEADLINE_SIZE.pt)  # full-width characters a line
_CLOSING = frozenset("，、：；！？。”’）》】〕,:;!?)")
_OPENING = frozenset("“‘（《【〔(")
_LEADING_BLANKS = re.compile(r"^[\s\u3000]+")


# --- entries -----------------------------------------------------------------------------------


def _paragraph_lines(text: str) -> list[str]:
    """One paragraph per line; blank lines and typed indentation (full-width spaces) dropped."""
    lines = (_LEADING_BLANKS.sub("", line).rstrip() for line in text.splitlines())
    return [line for line in lines if line]


def add_entry(document: Any, entry: IssueEntry, *, first: bool) -> None:
    note_lines = _paragraph_lines(entry.editor_note)
    for index, line in enumerate(note_lines):
        note = _body_paragraph(document)
        if index == 0:
            note.paragraph_format.space_before = LINE_PITCH if first else Twips(0)
            add_run(note, _("编者按："), HEITI, BODY_SIZE)
        add_run(note, line, KAITI, BODY_SIZE)
        note.paragraph_format.keep_with_next = True

    headline = document.add_paragraph()
    headline.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    fmt = headline.paragraph_format
    fmt.space_before = LINE_PITCH if (not first or not note_lines) else Emu(LINE_PITCH // 2)
    fmt.space_after = Emu(LINE_PITCH // 2)
    fmt.keep_with_next = True
    fmt.keep_together = True
    exact_spacing(headline, Pt(math.ceil(HEADLINE_SIZE.pt * 1.45)))
    no_grid(headline)
    for index, line in enumerate(headline_lines(entry.headline)):
        run = add_run(headline, line, XIAOBIAOSONG, HEADLINE_SIZE)
        if index:
            run._element.insert(run._element.index(run._element.rPr) + 1, OxmlElement("w:br"))

    paragraph = None
    for line in _paragraph_lines(entry.text):
        paragraph = _body_paragraph(document)
        add_run(paragraph, line, FANGSONG, BODY_SIZE)

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
    add_run(paragraph, "\t" + source_line, KAITI, BODY_SIZE)


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
    exact_spacing(paragraph, LINE_PITCH)
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


def add_distribution(document: Any, issue: PublicationIssue) -> None:
    """The 版记 as a one-column table: a rule above and below, thin rules between lines."""
    lines = _distribution_lines(issue)
    if not lines:
        return
    spacer = document.add_paragraph()
    exact_spacing(spacer, LINE_PITCH)
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
        exact_spacing(paragraph, LINE_PITCH)
        no_grid(paragraph)
        add_run(paragraph, line, FANGSONG, DISTRIBUTION_SIZE)
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
