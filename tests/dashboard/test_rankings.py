"""The dashboards' rankings follow the chosen period (month, quarter, year, date range), not the
assessment year. On top of the hand-counted month in ``conftest.py``, 乙镇 earns 8 points for a
province-level adoption dated 2026-09-20, so it leads the year and the third quarter while 甲镇
(5 points, dated 10-08) leads October."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.dashboard.conftest import YEAR, Month
from xinbao.dashboard import queries
from xinbao.dashboard.figures import Figure
from xinbao.dashboard.periods import Period, month_period, parse_period
from xinbao.scoring.ledger import retally
from xinbao.scoring.models import FactType, ScoreEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def september_points(month: Month) -> Month:
    c = month.county
    ScoreEntry.objects.create(
        department=c.dept,
        year=YEAR,
        unit=c.town_b,
        item=month.town_b_item,
        fact_type=FactType.ADOPTION,
        fact_id="external:2",
        fact_date=datetime.date(YEAR, 9, 20),
        level="province",
        points=Decimal(8),
        reason="省级采用",
        rule="adoption.periodical.province",
        computed_at=timezone.now(),
        counts_adopted=True,
        counts_high=True,
    )
    retally(c.dept, YEAR)
    return month


def figure(month: Month, period: Period, key: str, kind: str = "") -> Figure:
    return next(
        f for f in queries.department_dashboard(month.county.dept, period, kind) if f.key == key
    )


def test_month_ranking_counts_only_that_months_points(september_points: Month) -> None:
    rank = figure(september_points, month_period(YEAR, 10), "rank_points")
    # unit, points, 市级以上, adopted, submitted — October only
    assert rank.rows == [
        ["甲镇", 5.0, 1, 1, 3],
        ["乙镇", 0.0, 0, 0, 1],
        ["丙镇", 0.0, 0, 0, 0],
    ]
    assert "2026年10月" in rank.title


def test_year_ranking_adds_up_every_month(september_points: Month) -> None:
    year = parse_period({"period": "year", "year": str(YEAR)})
    rank = figure(september_points, year, "rank_points")
    assert rank.rows[:2] == [["乙镇", 8.0, 1, 1, 1], ["甲镇", 5.0, 1, 1, 4]]
    high = figure(september_points, year, "rank_high")
    assert high.rows == [["乙镇", 1, 0], ["甲镇", 1, 0]]  # tie on 市级以上: points decide


def test_quarter_ranking_leaves_out_the_next_quarter(september_points: Month) -> None:
    q3 = parse_period({"period": "quarter", "quarter": f"{YEAR}-Q3"})
    rank = figure(september_points, q3, "rank_points")
    assert rank.rows[:2] == [["乙镇", 8.0, 1, 1, 0], ["甲镇", 0.0, 0, 0, 1]]
    assert figure(september_points, q3, "rank_high").rows == [["乙镇", 1, 0]]


def test_date_range_ranking_counts_the_days_inside(september_points: Month) -> None:
    span = parse_period({"period": "range", "start": f"{YEAR}-09-16", "end": f"{YEAR}-10-07"})
    rank = figure(september_points, span, "rank_points")
    # 乙镇's 09-20 line is inside, 甲镇's 10-08 line is not; 甲镇 submitted on 10-05 (09-15: no).
    assert rank.rows[:2] == [["乙镇", 8.0, 1, 1, 0], ["甲镇", 0.0, 0, 0, 1]]


def test_unit_dashboard_rank_follows_the_period(september_points: Month) -> None:
    town_b = september_points.county.town_b
    year = parse_period({"period": "year", "year": str(YEAR)})
    rows = {f.key: f for f in queries.unit_dashboard(town_b, year)}["u_rank"]
    assert rows.rows == [["积分", 8.0, 5.0], ["市级以上采用", 1, 1.0]]  # medians of 8/5/0, 1/1/0
    assert "排第 1 名" in rows.note
    october = {f.key: f for f in queries.unit_dashboard(town_b, month_period(YEAR, 10))}["u_rank"]
    assert october.rows == [["积分", 0.0, 0.0], ["市级以上采用", 0, 0.0]]
    assert "排第 2 名" in october.note
    assert "2026年10月" in october.title
