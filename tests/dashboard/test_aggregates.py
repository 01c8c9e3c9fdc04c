"""The stored per-unit, per-month cells behind the dashboards (``dashboard.aggregates``) and the
unit dashboard's heat map and key-work charts, against the hand-counted month in
``conftest.py``: incremental refresh after commit equals a full build, and a built department's
dashboard never reads the items themselves."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from tests.dashboard.conftest import YEAR, Month, at, reported
from tests.factories import make_user
from xinbao.dashboard import aggregates, queries
from xinbao.dashboard.facts import department_facts
from xinbao.dashboard.figures import Figure
from xinbao.dashboard.models import AggregateBuild, UnitMonth
from xinbao.dashboard.periods import Period, month_period, parse_period
from xinbao.orgs.models import Role
from xinbao.publishing.models import ExternalAdoption, Instruction
from xinbao.topics.models import KeyWorkArea, KeyWorkTag

pytestmark = pytest.mark.django_db

Q4 = parse_period({"period": "quarter", "quarter": f"{YEAR}-Q4"})


def unit_figures(month: Month, unit: Any, period: Period) -> dict[str, Figure]:
    return {f.key: f for f in queries.unit_dashboard(unit, period)}


def snapshot(department_id: int) -> dict[tuple[int, str], dict[str, Any]]:
    rows = UnitMonth.objects.filter(department_id=department_id)
    return {(r.unit_id, f"{r.month:%Y-%m}"): r.data for r in rows}


def test_unit_heat_map_shows_its_months_against_the_median(month: Month) -> None:
    heat = unit_figures(month, month.county.town_a, Q4)["u_heatmap"]
    assert heat.columns == ["项目", "2026-10", "2026-11", "2026-12", "合计"]
    # 甲镇 3 / 乙镇 1 / 丙镇 0 items in October; adoptions in October: 甲镇 2 (10-06, 10-25).
    assert heat.rows == [
        ["本单位报送", 3, 0, 0, 3],
        ["报送中位数", 1.0, 0.0, 0.0, 1.0],
        ["本单位采用", 2, 0, 0, 2],
        ["采用中位数", 0.0, 0.0, 0.0, 0.0],
    ]
    assert "本单位有 2 个月未报送" in heat.note
    assert not heat.empty


@pytest.fixture
def sub_area(month: Month) -> KeyWorkArea:
    """基层组织建设 (tagged on #1, adopted) gets a sub-area 党员教育 tagged on 甲镇's #2
    (returned) and on 乙镇's item."""
    c = month.county
    parent = KeyWorkArea.objects.get(department=c.dept, year=YEAR, name="基层组织建设")
    child = KeyWorkArea.objects.create(department=c.dept, year=YEAR, name="党员教育", parent=parent)
    KeyWorkTag.objects.create(area=child, item=month.second, tagged_by=c.officer_a)
    KeyWorkTag.objects.create(area=child, item=month.town_b_item, tagged_by=c.officer_b)
    return child


def test_unit_key_work_counts_sub_areas_once_against_the_median(
    month: Month, sub_area: KeyWorkArea
) -> None:
    key_work = unit_figures(month, month.county.town_a, month_period(YEAR, 10))["u_key_work"]
    assert key_work.columns == ["工作要点", "本单位报送", "本单位采用", "报送中位数"]
    # 基层组织建设: 甲镇 {#1, #2} (1 adopted), 乙镇 1, 丙镇 0 → median 1; 党员教育: 1 / 1 / 0.
    assert key_work.rows == [["基层组织建设", 2, 1, 1.0], ["\u3000党员教育", 1, 0, 1.0]]
    town_b = unit_figures(month, month.county.town_b, month_period(YEAR, 10))["u_key_work"]
    assert town_b.rows == [["基层组织建设", 1, 0, 1.0], ["\u3000党员教育", 1, 0, 1.0]]


def test_unit_heat_map_and_key_work_download_exactly_their_numbers(
    month: Month, sub_area: KeyWorkArea
) -> None:
    client = Client()
    client.force_login(month.county.officer_a)
    base = f"/dashboard/units/{month.county.town_a.pk}/xlsx"
    sheet = load_workbook(
        io.BytesIO(client.get(f"{base}/u_heatmap/?period=quarter&quarter={YEAR}-Q4").content)
    ).active
    rows = [list(r) for r in sheet.iter_rows(min_row=4, max_row=8, values_only=True)]
    assert rows == [
        ["项目", "2026-10", "2026-11", "2026-12", "合计"],
        ["本单位报送", 3, 0, 0, 3],
        ["报送中位数", 1, 0, 0, 1],
        ["本单位采用", 2, 0, 0, 2],
        ["采用中位数", 0, 0, 0, 0],
    ]
    sheet = load_workbook(
        io.BytesIO(client.get(f"{base}/u_key_work/?period=month&month={YEAR}-10").content)
    ).active
    rows = [list(r) for r in sheet.iter_rows(min_row=5, max_row=6, values_only=True)]
    assert rows == [["基层组织建设", 2, 1, 1], ["\u3000党员教育", 1, 0, 1]]


def test_unit_page_shows_both_charts_and_their_tables(month: Month, sub_area: KeyWorkArea) -> None:
    client = Client()
    client.force_login(month.county.editor)
    html = client.get(
        f"/dashboard/units/{month.county.town_a.pk}/?period=month&month={YEAR}-10"
    ).content.decode()
    assert 'data-figure="u_heatmap"' in html
    assert 'data-figure="u_key_work"' in html
    assert '<th scope="row">报送中位数</th>' in html
    assert "/xlsx/u_key_work/?" in html


def test_unit_charts_of_an_empty_period_are_empty_states(month: Month) -> None:
    figures = unit_figures(month, month.town_c, parse_period({"year": "2021"}))
    assert figures["u_heatmap"].empty
    assert figures["u_key_work"].empty  # no key-work areas in 2021
    client = Client()
    client.force_login(month.county.editor)
    html = client.get(f"/dashboard/units/{month.town_c.pk}/?period=year&year=2021").content.decode()
    assert 'data-figure="u_heatmap"' not in html
    assert 'data-figure="u_key_work"' not in html
    assert html.count("本期没有数据。") >= 2


def test_incremental_refresh_after_commit_equals_a_full_build(
    month: Month, django_capture_on_commit_callbacks: Any
) -> None:
    c = month.county
    queries.department_dashboard(c.dept, month_period(YEAR, 10))  # builds the cells
    assert AggregateBuild.objects.filter(department=c.dept).exists()
    officer_c = make_user(role=Role.OFFICER, unit=month.town_c)
    area = KeyWorkArea.objects.get(department=c.dept, year=YEAR, name="基层组织建设")
    with django_capture_on_commit_callbacks(execute=True):
        late = reported(officer_c, c.editor, submitted=at(10, 30), adopted=at(11, 2))
        KeyWorkTag.objects.create(area=area, item=late, tagged_by=officer_c)
        Instruction.objects.create(
            item=month.third,
            level="county",
            leader_title="县长",
            instructed_on=at(10, 28).date(),
            text="阅。",
            recorded_by=c.editor,
        )
        ExternalAdoption.objects.create(
            item=month.town_b_item,
            level="city",
            outlet="澜江组工",
            adopted_on=at(10, 29).date(),
            recorded_by=c.editor,
        )
    incremental = snapshot(c.dept.pk)
    october_c = incremental[(month.town_c.pk, "2026-10")]
    assert (october_c["s"], october_c["a"], october_c["kw"]) == (1, 1, {str(area.pk): [1, 1]})
    assert incremental[(month.town_c.pk, "2026-11")]["am"] == 1  # adopted on 11-02
    assert incremental[(c.town_a.pk, "2026-10")]["ins"] == 2
    assert incremental[(c.town_b.pk, "2026-10")]["lv"] == {"city": 1}
    aggregates.department_build(c.dept.pk)
    assert snapshot(c.dept.pk) == incremental
    funnel = {f.key: f for f in queries.department_dashboard(c.dept, month_period(YEAR, 10))}
    assert [row[1] for row in funnel["funnel"].rows] == [5, 3, 2, 1, 0, 2]


def test_a_units_refresh_across_years_equals_a_full_build(
    month: Month, django_capture_on_commit_callbacks: Any
) -> None:
    """A few units' cells are computed in one span over their whole history (not year by
    year, as a department's build is): the cells must be the same on both sides of New Year."""
    c = month.county
    queries.department_dashboard(c.dept, month_period(YEAR, 10))  # builds the cells
    officer_c = make_user(role=Role.OFFICER, unit=month.town_c)
    december = timezone.make_aware(datetime.datetime(YEAR - 1, 12, 30, 10))
    with django_capture_on_commit_callbacks(execute=True):
        reported(officer_c, c.editor, submitted=december, adopted=at(1, 3))
        reported(officer_c, c.editor, submitted=at(2, 14), returned=at(2, 15))
    incremental = snapshot(c.dept.pk)
    assert incremental[(month.town_c.pk, f"{YEAR - 1}-12")]["s"] == 1
    assert incremental[(month.town_c.pk, f"{YEAR}-01")]["am"] == 1
    aggregates.department_build(c.dept.pk)
    assert snapshot(c.dept.pk) == incremental


def test_a_units_refresh_leaves_out_their_items_of_another_department(month: Month) -> None:
    """A unit that moved keeps its items submitted to its former department: a refresh of the
    unit's cells (read by the unit, not the department) must count them for neither."""
    from xinbao.items.models import Item

    c = month.county
    officer_c = make_user(role=Role.OFFICER, unit=month.town_c)
    reported(officer_c, c.editor, submitted=at(10, 8), adopted=at(10, 9))
    moved = reported(officer_c, c.editor, submitted=at(10, 12))
    Item.objects.filter(pk=moved.pk).update(department=c.other_dept)  # sent before the move
    aggregates.department_build(c.dept.pk)
    aggregates.department_build(c.other_dept.pk)
    built = snapshot(c.dept.pk), snapshot(c.other_dept.pk)
    assert built[0][(month.town_c.pk, "2026-10")]["s"] == 1
    assert built[1][(month.town_c.pk, "2026-10")]["s"] == 1
    UnitMonth.objects.filter(unit_id=month.town_c.pk).delete()
    aggregates.units_refresh(c.dept.pk, [month.town_c.pk])
    aggregates.units_refresh(c.other_dept.pk, [month.town_c.pk])
    assert (snapshot(c.dept.pk), snapshot(c.other_dept.pk)) == built


def test_a_built_dashboard_never_reads_the_items_themselves(month: Month) -> None:
    aggregates.department_build(month.county.dept.pk)
    with CaptureQueriesContext(connection) as captured:
        facts = department_facts(month.county.dept, Q4)
    assert facts.units[month.county.town_a.pk].submitted == 3
    for raw in ('FROM "items_item"', 'FROM "topics_timeliness"', 'FROM "items_itemevent"'):
        assert not [q["sql"] for q in captured if raw in q["sql"]], raw


def test_a_partial_month_of_a_date_range_is_computed_from_its_days(month: Month) -> None:
    span = parse_period({"period": "range", "start": f"{YEAR}-09-10", "end": f"{YEAR}-10-12"})
    figures = {f.key: f for f in queries.department_dashboard(month.county.dept, span)}
    # September 10–30: 甲镇's 09-15 item (adopted 09-16); October 1–12: 甲镇 #1 and #2, 乙镇's
    # item (10-12 10:00 is inside: the range ends with the whole day).
    assert figures["trend"].rows == [["2026-09", 1, 1], ["2026-10", 3, 1]]


def test_rebuild_command_rewrites_the_cells(month: Month) -> None:
    out = io.StringIO()
    call_command("dashboard_rebuild", "--department", month.county.dept.code, stdout=out)
    assert "条单位月度汇总" in out.getvalue()
    cells = snapshot(month.county.dept.pk)
    assert cells[(month.county.town_a.pk, "2026-10")]["s"] == 3
    assert cells[(month.county.town_a.pk, "2026-09")]["s"] == 1
    assert (month.town_c.pk, "2026-10") not in cells  # silent: no row at all
    with pytest.raises(CommandError, match="没有代码为"):
        call_command("dashboard_rebuild", "--department", "NOPE")


def test_department_key_work_blind_spot_looks_back_from_the_period_end(month: Month) -> None:
    def key_work(period: Period, kind: str = "") -> list[Any]:
        figures = queries.department_dashboard(month.county.dept, period, kind)
        return next(f for f in figures if f.key == "key_work").rows

    assert key_work(month_period(YEAR, 10)) == [["基层组织建设", 1, 1, ""]]
    # November: nothing new, but October is inside the 2-month window; December: blind.
    assert key_work(month_period(YEAR, 11)) == [["基层组织建设", 0, 0, ""]]
    assert key_work(month_period(YEAR, 12)) == [["基层组织建设", 0, 0, "盲区"]]
    assert key_work(month_period(YEAR, 10), "department") == [["基层组织建设", 0, 0, ""]]
