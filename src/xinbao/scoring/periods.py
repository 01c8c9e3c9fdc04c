"""Ranking periods: a month (``2026-10``), a quarter (``2026-Q3``), a year (``2026``) or any
date range (``2026-03-01..2026-05-31``), each with its first and last day (inclusive)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year | range
    key: str
    start: datetime.date
    end: datetime.date
    label: str

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)


def year_period(year: int) -> Period:
    return Period(
        "year",
        str(year),
        datetime.date(year, 1, 1),
        datetime.date(year, 12, 31),
        _("%(y)d年") % {"y": year},
    )


def month_period(year: int, month: int) -> Period:
    return Period(
        "month",
        f"{year}-{month:02d}",
        datetime.date(year, month, 1),
        _month_end(year, month),
        _("%(y)d年%(m)d月") % {"y": year, "m": month},
    )


def quarter_period(year: int, quarter: int) -> Period:
    return Period(
        "quarter",
        f"{year}-Q{quarter}",
        datetime.date(year, quarter * 3 - 2, 1),
        _month_end(year, quarter * 3),
        _("%(y)d年第%(q)d季度") % {"y": year, "q": quarter},
    )


def parse_period(text: str | None, year: int) -> Period:
    """The period ``text`` names (empty: the year ``year``); ValueError with a Chinese message
    for anything else."""
    text = (text or "").strip()
    if not text:
        return year_period(year)
    if match := _YEAR.match(text):
        return year_period(int(match[1]))
    if match := _QUARTER.match(text):
        return quarter_period(int(match[1]), int(match[2]))
    if (match := _MONTH.match(text)) and 1 <= int(match[2]) <= 12:
        return month_period(int(match[1]), int(match[2]))
    if match := _RANGE.match(text):
        try:
            start = datetime.date.fromisoformat(match[1])
            end = datetime.date.fromisoformat(match[2])
        except ValueError:
            start = end = None  # type: ignore[assignment]
        if start is not None and end is not None and start <= end:
            label = _("%(a)s至%(b)s") % {"a": start.isoformat(), "b": end.isoformat()}
            return Period("range", text, start, end, label)
    raise ValueError(
        _(
            "无法识别的期间“%(text)s”:请写 2026(全年)、2026-Q3(季度)、2026-10(月份)"
            "或 2026-03-01..2026-05-31(日期范围)。"
        )
        % {"text": text}
    )
