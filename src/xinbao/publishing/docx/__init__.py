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

Layout: ``layout`` (fonts, page, grid, document set-up, run and paragraph helpers), ``masthead``,
``body`` (entries and the distribution block), ``labels`` (date, issue line, file name).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from docx import Document

from xinbao.publishing.docx.body import add_distribution, add_entry, headline_lines
from xinbao.publishing.docx.labels import chinese_date, issue_filename, issue_line
from xinbao.publishing.docx.layout import (
    FANGSONG,
    HEITI,
    KAITI,
    SONGTI,
    XIAOBIAOSONG,
    set_up_document,
)
from xinbao.publishing.docx.masthead import add_masthead

if TYPE_CHECKING:
    from xinbao.publishing.models import PublicationIssue

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
    "issue_line",
]


def issue_docx(issue: PublicationIssue) -> bytes:
    """The issue as a Word document (see the module docstring for the layout)."""
    document = Document()
    set_up_document(document, issue)
    add_masthead(document, issue)
    entries = list(issue.entries.order_by("position", "id"))
    for index, entry in enumerate(entries):
        add_entry(document, entry, first=index == 0)
    add_distribution(document, issue)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
