"""The words of an issue's Word file that other parts show too: its date, its issue line and
the file's name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    import datetime

    from xinbao.publishing.models import PublicationIssue


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
