"""A figure as an .xlsx workbook: its title, the period, then exactly the figure's table."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from xinbao.dashboard.figures import Figure

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def figure_xlsx(figure: Figure, subtitle: str) -> bytes:
    """Row 1 the title, row 2 the period and scope, row 4 the headings, then one row per table
    row; numbers stay numbers (an unavailable value is an empty cell)."""
    workbook = Workbook()
    sheet = workbook.create_sheet(index=0)
    workbook.remove(workbook.worksheets[1])
    sheet.title = re.sub(r"[\\/*?:\[\]]", "", figure.title)[:31] or "data"
    sheet.append([figure.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([subtitle])
    sheet.append([])
    sheet.append(figure.columns)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in figure.rows:
        sheet.append(list(row))
    if figure.note:
        sheet.append([])
        sheet.append([figure.note])
    sheet.column_dimensions["A"].width = 24
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def figure_filename(figure: Figure, subtitle: str, suffix: str = ".xlsx") -> str:
    name = re.sub(r'[\\/:*?"<>|\s()()]+', "_", f"{figure.title}_{subtitle}").strip("_")
    return f"{name}{suffix}"
