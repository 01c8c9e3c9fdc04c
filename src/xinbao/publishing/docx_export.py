"""The Word export's former path: the export is now the package ``xinbao.publishing.docx``.

Kept so that ``from xinbao.publishing.docx_export import issue_docx`` goes on working for code
that still imports it that way (``xinbao.api.routes.publishing``); new code imports from
``xinbao.publishing.docx``.
"""

from __future__ import annotations

from xinbao.publishing.docx import (
    FANGSONG,
    HEITI,
    KAITI,
    SONGTI,
    XIAOBIAOSONG,
    chinese_date,
    headline_lines,
    issue_docx,
    issue_filename,
    issue_line,
)

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
