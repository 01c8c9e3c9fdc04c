"""Periods from the query string: each kind, the period before it, and bad input in Chinese."""

from __future__ import annotations

import datetime

import pytest

from xinbao.dashboard.periods import PeriodError, parse_period

TODAY = datetime.date(2026, 11, 15)


def test_default_is_this_year() -> None:
    period = parse_period({}, TODAY)
    assert (period.start, period.end) == (datetime.date(2026, 1, 1), datetime.date(2027, 1, 1))
    assert len(period.months) == 12
    assert period.label == "2026年"


def test_quarter_and_the_quarter_before() -> None:
    period = parse_period({"period": "quarter", "quarter": "2026-Q1"}, TODAY)
    assert [m.month for m in period.months] == [1, 2, 3]
    before = period.previous()
    assert (before.start, before.end) == (datetime.date(2025, 10, 1), datetime.date(2026, 1, 1))
    assert period.label == "2026年第1季度"


def test_date_range_includes_its_last_day_and_its_previous_has_the_same_length() -> None:
    period = parse_period({"period": "range", "start": "2026-03-10", "end": "2026-04-09"}, TODAY)
    assert period.end == datetime.date(2026, 4, 10)
    assert [m.month for m in period.months] == [3, 4]
    assert period.previous().start == datetime.date(2026, 2, 7)  # 31 days before
    assert "start=2026-03-10&end=2026-04-09" in period.query


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "month", "month": "2026-13"}, "月份格式"),
        ({"period": "quarter", "quarter": "2026-Q5"}, "季度格式"),
        ({"period": "year", "year": "26"}, "年份"),
        ({"period": "range", "start": "2026-05-01", "end": "2026-04-01"}, "不能早于"),
        ({"period": "range", "start": "2020-01-01", "end": "2026-04-01"}, "最长"),
        ({"period": "range", "start": "昨天", "end": "2026-04-01"}, "起止日期格式"),
        ({"period": "week"}, "请选择"),
    ],
)
def test_bad_periods_are_refused_in_chinese(params: dict[str, str], message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(params, TODAY)
