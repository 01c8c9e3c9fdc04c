"""The year-end certificate of commendation (荣誉证书) for an 优秀信息员, as a Word file.

The page, grid, default fonts, font table and page numbers are the publications' (GB/T 9704,
``publishing.docx.layout.set_up_page``); the text uses the same font roles: the title in 小标宋,
the body in 仿宋 三号, the issuing department and date at the right.
"""

from __future__ import annotations

import datetime
import io
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.shared import Pt

from xinbao.publishing.docx import FANGSONG, XIAOBIAOSONG, chinese_date
from xinbao.publishing.docx.layout import (
    BODY_SIZE,
    LINE_PITCH,
    add_run,
    exact_spacing,
    no_grid,
    set_up_page,
)

if TYPE_CHECKING:
    from xinbao.orgs.models import Unit, User

TITLE_SIZE = Pt(36)


def certificate_text(officer: User, year: int) -> str:
    unit = officer.unit.name if officer.unit else ""
    return _(
        "%(unit)s %(name)s 同志:在%(year)d年度组工信息工作中,积极报送信息,成绩突出,"
        "被评为优秀信息员。特发此证,以资鼓励。"
    ) % {"unit": unit, "name": officer.display_name, "year": year}


def certificate_docx(
    officer: User, year: int, department: Unit, issued_on: datetime.date | None = None
) -> bytes:
    issued_on = issued_on or timezone.localdate()
    document = Document()
    set_up_page(document)
    properties = document.core_properties
    properties.title = _("%(year)d年度优秀信息员荣誉证书") % {"year": year}
    properties.author = department.name
    properties.subject = officer.display_name

    for _blank in range(3):
        exact_spacing(document.add_paragraph(), LINE_PITCH)
    title = document.add_paragraph()
    title.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    no_grid(title)
    exact_spacing(title, Pt(TITLE_SIZE.pt * 1.5))
    add_run(title, _("荣誉证书"), XIAOBIAOSONG, TITLE_SIZE)
    exact_spacing(document.add_paragraph(), LINE_PITCH)

    body = document.add_paragraph()
    body.paragraph_format.first_line_indent = BODY_SIZE * 2
    exact_spacing(body, LINE_PITCH)
    add_run(body, certificate_text(officer, year), FANGSONG, BODY_SIZE)

    for _blank in range(2):
        exact_spacing(document.add_paragraph(), LINE_PITCH)
    for text in (department.name, chinese_date(issued_on)):
        line = document.add_paragraph()
        line.alignment = WD_PARAGRAPH_ALIGNMENT.RIGHT
        line.paragraph_format.right_indent = BODY_SIZE * 2
        exact_spacing(line, LINE_PITCH)
        add_run(line, text, FANGSONG, BODY_SIZE)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def certificate_filename(officer: User, year: int) -> str:
    return _("%(year)d年度优秀信息员荣誉证书-%(name)s.docx") % {
        "year": year,
        "name": officer.display_name,
    }
