"""The period a dashboard covers: a month, a quarter, a year or a date range, parsed from the
query string with Chinese messages for bad input. A period is a half-open range of local dates
``[start, end)`` plus the months it touches, oldest first."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

MAX_MONTHS = 36


class PeriodError(ValueError):
    """Bad period input; the message is Chinese and meant for the user."""


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year | range
    start: datetime.date  # first day, inclusive
    end: datetime.date  # day after the last, exclusive

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def months(self) -> list[datetime.date]:
        """First day of every month the period touches, oldest first."""
        months = []
        month = self.start.replace(day=1)
        while month < self.end:
            months.append(month)
            month = next_month(month)
        return months

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def label(self) -> str:
        first, last = self.start, self.last_day
        if self.kind == "month":
            return _("%(y)d年%(m)d月") % {"y": first.year, "m": first.month}
        if self.kind == "quarter":
            return _("%(y)d年第%(q)d季度") % {"y": first.year, "q": (first.month - 1) // 3 + 1}
        if self.kind == "year":
            return _("%(y)d年") % {"y": first.year}
        return _("%(a)s至%(b)s") % {"a": first.isoformat(), "b": last.isoformat()}

    @property
    def query(self) -> str:
        """The query string that selects this period again."""
        if self.kind == "month":
            return f"period=month&month={self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"period=quarter&quarter={self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"period=year&year={self.start.year}"
        return f"period=range&start={self.start.isoformat()}&end={self.last_day.isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before this one (for rising/falling trends)."""
        if self.kind in ("month", "quarter", "year"):
            count = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            start = self.start
            for _i in range(count):
                start = previous_month(start)
            return Period(self.kind, start, self.start)
        length = self.end - self.start
        return Period("range", self.start - length, self.start)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as aware datetimes in the current time zone, ``[start, end)``."""
        return aware(self.start), aware(self.end)


def aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def previous_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def month_period(year: int, month: int) -> Period:
    start = datetime.date(year, month, 1)
    return Period("month", start, next_month(start))


def parse_month(value: str) -> Period:
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", value or "")
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise PeriodError(_("月份格式应为“2026-10”。"))
    return month_period(int(match[1]), int(match[2]))


def parse_period(params: Mapping[str, str], today: datetime.date | None = None) -> Period:
    """The period selected by ``params``; without any, the current year so far."""
    today = today or timezone.localdate()
    kind = params.get("period") or "year"
    if kind == "month":
        return parse_month(params.get("month") or f"{today:%Y-%m}")
    if kind == "quarter":
        value = params.get("quarter") or f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        match = re.fullmatch(r"\s*(\d{4})-?[Qq]([1-4])\s*", value)
        if not match or not 2000 <= int(match[1]) <= 2100:
            raise PeriodError(_("季度格式应为“2026-Q3”。"))
        start = datetime.date(int(match[1]), 3 * int(match[2]) - 2, 1)
        end = start
        for _i in range(3):
            end = next_month(end)
        return Period("quarter", start, end)
    if kind == "year":
        value = (params.get("year") or str(today.year)).strip()
        if not value.isdigit() or not 2000 <= int(value) <= 2100:
            raise PeriodError(_("年份应为四位数字,如“2026”。"))
        year = int(value)
        return Period("year", datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))
    if kind == "range":
        try:
            start = datetime.date.fromisoformat((params.get("start") or "").strip())
            last = datetime.date.fromisoformat((params.get("end") or "").strip())
        except ValueError:
            raise PeriodError(_("起止日期格式应为“2026-01-31”。")) from None
        if last < start:
            raise PeriodError(_("结束日期不能早于开始日期。"))
        period = Period("range", start, last + datetime.timedelta(days=1))
        if len(period.months) > MAX_MONTHS:
            raise PeriodError(_("时间段最长 %(n)d 个月。") % {"n": MAX_MONTHS})
        return period
    raise PeriodError(_("请选择月、季度、年或起止日期。"))
