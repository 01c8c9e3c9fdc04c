"""The red masthead of an issue: publication name, issue line, optional title, the compiling
department and the date over a red rule.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from docx.enum.text import WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.shared import Emu, Length, Pt

from xinbao.publishing.docx.labels import chinese_date, issue_line
from xinbao.publishing.docx.layout import (
    BODY_SIZE,
    CHAR_PITCH,
    FANGSONG,
    KAITI,
    LINE_PITCH,
    MASTHEAD_MAX_SIZE,
    RED,
    RED_HEX,
    TYPE_WIDTH,
    XIAOBIAOSONG,
    add_run,
    border,
    exact_spacing,
    letter_spacing,
    no_grid,
)

if TYPE_CHECKING:
    from xinbao.publishing.models import PublicationIssue


def _masthead_size(name: str) -> Length:
    """As large as looks right for a short name, small enough for a long one to fit a line."""
    fitting = TYPE_WIDTH.pt * 0.85 / max(len(name), 1)
    return Pt(min(MASTHEAD_MAX_SIZE.pt, math.floor(fitting)))


def add_masthead(document: Any, issue: PublicationIssue) -> None:
    publication = issue.publication
    name_size = _masthead_size(publication.name)
    name = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    name.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    exact_spacing(name, Pt(math.ceil(name_size.pt * 1.3)))
    no_grid(name)
    name.paragraph_format.space_after = Pt(6)
    run = add_run(name, publication.name, XIAOBIAOSONG, name_size, latin=XIAOBIAOSONG[0])
    run.font.color.rgb = RED
    if len(publication.name) <= 6:
        # Short names are spread a little, as printed mastheads are.
        letter_spacing(run, Pt(name_size.pt * 0.15))

    number = document.add_paragraph()
    number.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    exact_spacing(number, LINE_PITCH)
    no_grid(number)
    add_run(number, issue_line(issue), FANGSONG, BODY_SIZE)

    if issue.title:
        title = document.add_paragraph()
        title.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
        exact_spacing(title, LINE_PITCH)
        no_grid(title)
        add_run(title, issue.title, KAITI, BODY_SIZE)

    # The compiling department at the left, the date at the right, over the red rule.
    byline = document.add_paragraph()
    fmt = byline.paragraph_format
    fmt.space_before = Pt(6)
    fmt.left_indent = fmt.right_indent = CHAR_PITCH
    # Tab positions count from the margin, not from the indent.
    fmt.tab_stops.add_tab_stop(Emu(TYPE_WIDTH - CHAR_PITCH), WD_TAB_ALIGNMENT.RIGHT)
    exact_spacing(byline, LINE_PITCH)
    no_grid(byline)
    add_run(byline, publication.department.name, FANGSONG, BODY_SIZE)
    add_run(byline, "\t" + chinese_date(issue.issue_date), FANGSONG, BODY_SIZE)
    # The rule spans the whole type area, so it is the border of a paragraph of its own
    # (a border on the indented byline would be indented with it).
    rule = document.add_paragraph()
    exact_spacing(rule, Pt(4))
    no_grid(rule)
    border(rule, "bottom", size_eighths=18, color=RED_HEX, space=0)
