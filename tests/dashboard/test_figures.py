"""Every chart's numbers against the hand-counted month in ``conftest.py``, the empty state,
and the quality flag rule."""

from __future__ import annotations

import datetime

import pytest

from tests.dashboard.conftest import YEAR, Month
from xinbao.dashboard import queries
from xinbao.dashboard.facts import UnitFacts
from xinbao.dashboard.figures import Figure, worse_indicators
from xinbao.dashboard.periods import Period, month_period, parse_period

pytestmark = pytest.mark.django_db

OCTOBER = month_period(YEAR, 10)


def by_key(figures: list[Figure]) -> dict[str, Figure]:
    return {f.key: f for f in figures}


@pytest.fixture
def october(month: Month) -> dict[str, Figure]:
    return by_key(queries.department_dashboard(month.county.dept, OCTOBER))


def test_trend_counts_submissions_and_adoptions_per_month(october: dict[str, Figure]) -> None:
    assert october["trend"].rows == [["2026-10", 4, 2]]


def test_trend_of_a_quarter_has_one_row_per_month(month: Month) -> None:
    quarter = parse_period({"period": "quarter", "quarter": "2026-Q3"})
    trend = by_key(queries.department_dashboard(month.county.dept, quarter))["trend"]
    assert trend.rows == [["2026-07", 0, 0], ["2026-08", 0, 0], ["2026-09", 1, 1]]


def test_funnel_follows_the_items_up_the_levels(october: dict[str, Figure]) -> None:
    assert [row[1] for row in october["funnel"].rows] == [4, 2, 1, 1, 0, 1]


def test_heat_map_puts_the_silent_unit_first(october: dict[str, Figure]) -> None:
    heat = october["heatmap"]
    assert heat.columns == ["单位", "2026-10", "合计"]
    assert heat.rows == [["丙镇", 0, 0], ["乙镇", 1, 1], ["甲镇", 3, 3]]
    assert "1 个单位未报送" in heat.note


def test_category_mix_counts_submitted_and_adopted(october: dict[str, Figure]) -> None:
    rows = {row[0]: row[1:] for row in october["categories"].rows}
    assert rows["动态"] == [2, 2]
    assert rows["经验做法"] == [1, 0]
    assert rows["问题建议"] == [1, 0]
    assert rows["调研报告"] == [0, 0]


def test_timeliness_gives_median_and_p90_per_unit(october: dict[str, Figure]) -> None:
    rows = {row[0]: row[1:] for row in october["timeliness"].rows}
    # 甲镇: event → arrival 34 h and 10 h; arrival → first action 24 h, 2 h, 120 h.
    assert rows["甲镇"] == [3, 22.0, 34.0, 24.0, 120.0]
    assert rows["乙镇"] == [1, 34.0, 34.0, None, None]
    assert "丙镇" not in rows


def test_editor_speed_counts_first_actions(month: Month, october: dict[str, Figure]) -> None:
    assert october["editors"].rows == [[month.county.editor.full_name, 3, 24.0, 120.0]]


def test_rankings_come_from_the_ledger(october: dict[str, Figure]) -> None:
    assert october["rank_points"].rows[0] == ["甲镇", 5.0, 1, 1, 3]  # October's items only
    assert [row[0] for row in october["rank_points"].rows] == ["甲镇", "乙镇", "丙镇"]
    assert october["rank_high"].rows == [["甲镇", 1, 0]]


def test_key_work_coverage_counts_tagged_items(october: dict[str, Figure]) -> None:
    assert october["key_work"].rows == [["基层组织建设", 1, 1, ""]]


def test_quality_indicators_this_period_and_the_one_before(october: dict[str, Figure]) -> None:
    rows = {row[0]: row[1:] for row in october["quality"].rows}
    assert rows["采用率(%)"] == [50.0, 100.0]
    assert rows["市级以上采用(条)"] == [2, 0]
    assert rows["每条积分"] == [1.25, 0.0]
    assert rows["退回修改率(%)"] == [25.0, 0.0]
    assert rows["参阅类占比(%)"] == [0.0, 0.0]  # no item marked 参阅类 (scoring.ItemReview)
    assert rows["平均评分"] == [None, None]
    # The fixture's items share their text: the near-duplicate index flags them (search app).
    assert rows["疑似重复(条)"] == [4, 1]


def test_unit_whose_volume_rises_while_quality_falls_is_flagged(
    october: dict[str, Figure],
) -> None:
    assert october["quality_flags"].rows == [
        ["甲镇", 1, 3, "采用率(%)、退回修改率(%)、疑似重复(条)"]
    ]


def test_flag_rule_needs_two_indicators_worse() -> None:
    before = UnitFacts(unit_id=1, name="甲", kind="township", submitted=2, adopted=2)
    now = UnitFacts(unit_id=1, name="甲", kind="township", submitted=4, adopted=2)
    assert worse_indicators(now, before) == ["采用率(%)"]
    now.returned = 1
    assert worse_indicators(now, before) == ["采用率(%)", "退回修改率(%)"]


def test_unit_class_filter_keeps_only_that_class(month: Month) -> None:
    figures = by_key(queries.department_dashboard(month.county.dept, OCTOBER, "department"))
    assert figures["heatmap"].rows == []
    assert figures["heatmap"].empty
    assert figures["trend"].rows == [["2026-10", 0, 0]]


def test_unit_dashboard_compares_with_the_county_median(month: Month) -> None:
    figures = by_key(queries.unit_dashboard(month.county.town_a, OCTOBER))
    assert figures["u_trend"].rows == [["2026-10", 3, 1.0, 2, 0.0]]
    assert figures["u_funnel"].rows[0] == ["报送", 3, 1.0]
    assert figures["u_funnel"].rows[1] == ["县级采用", 2, 0.0]
    quality = {row[0]: row[1:] for row in figures["u_quality"].rows}
    assert quality["采用率(%)"] == [66.7, 33.35]  # median of 66.7 and 0.0 (丙镇 has none)
    speed = {row[0]: row[1:] for row in figures["u_timeliness"].rows}
    assert speed["事件至报达中位数"] == [22.0, 28.0]
    assert figures["u_flags"].rows[0][1:3] == [1, 3]
    assert figures["u_rank"].rows == [["积分", 5.0, 0.0], ["市级以上采用", 1, 0.0]]
    assert "同类 3 个单位中排第 1 名" in figures["u_rank"].note


def test_empty_period_gives_empty_figures_not_errors(month: Month) -> None:
    period = Period("range", datetime.date(2020, 1, 1), datetime.date(2020, 2, 1))
    figures = queries.department_dashboard(month.county.dept, period)
    empty = {f.key for f in figures if f.empty}
    expected = {"trend", "funnel", "heatmap", "categories", "timeliness", "editors", "key_work"}
    assert expected <= empty
