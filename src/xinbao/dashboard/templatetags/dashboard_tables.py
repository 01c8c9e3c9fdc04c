"""The body of a figure's table, rendered in Python: a province's heat map has 3,000 rows of
fourteen cells, which the template language would take a second and more to loop over."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from xinbao.dashboard.figures import Value

register = template.Library()


@register.filter
def table_body(rows: list[list[Value]]) -> SafeString:
    """``<tr><th scope="row">label</th><td>…</td>…</tr>`` per row, every value escaped; a
    missing value is “—”."""
    parts = []
    for row in rows:
        label, *values = row
        cells = "".join(
            f"<td>{'—' if v is None else conditional_escape(str(v))}</td>" for v in values
        )
        parts.append(f'<tr><th scope="row">{conditional_escape(str(label))}</th>{cells}</tr>')
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
