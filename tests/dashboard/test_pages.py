"""The dashboard pages and downloads: who sees what, tables and charts from the same numbers,
.xlsx and .docx files that open, bad input, and query counts that do not grow with the data."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from docx import Document
from openpyxl import load_workbook

from tests.dashboard.conftest import YEAR, Month, at, reported
from tests.factories import make_unit, make_user
from xinbao.orgs.models import Role, User

pytestmark = pytest.mark.django_db

OCTOBER = f"period=month&month={YEAR}-10"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def data_island(html: str) -> dict:
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html)
    assert match, "no data island"
    return json.loads(match[1])


def test_leader_sees_charts_tables_and_downloads(month: Month) -> None:
    response = client_for(month.county.dept_leader).get(f"/dashboard/?{OCTOBER}")
    assert response.status_code == 200
    html = response.content.decode()
    charts = data_island(html)
    assert charts["trend"]["rows"] == [["2026-10", 4, 2]]
    assert 'data-figure="heatmap"' in html
    assert '<th scope="row">丙镇</th>' in html  # the table view carries the same rows
    assert "/dashboard/xlsx/funnel/?" in html
    assert "echarts-5.6.0.min.js" in html


def test_new_templates_have_no_inline_script_or_style(month: Month) -> None:
    html = client_for(month.county.editor).get(f"/dashboard/?{OCTOBER}").content.decode()
    assert "style=" not in html
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attrs for attrs in scripts)


def test_empty_period_shows_the_empty_state(month: Month) -> None:
    html = (
        client_for(month.county.editor)
        .get("/dashboard/?period=month&month=2021-03")
        .content.decode()
    )
    assert html.count("本期没有数据。") >= 6
    assert 'data-figure="trend"' not in html


def test_bad_period_keeps_the_input_and_says_why(month: Month) -> None:
    response = client_for(month.county.editor).get("/dashboard/?period=month&month=2026-13")
    assert response.status_code == 200
    html = response.content.decode()
    assert "月份格式应为" in html
    assert 'value="2026-13"' in html


def test_officer_sees_only_their_own_unit(month: Month) -> None:
    c = month.county
    officer = client_for(c.officer_a)
    assert officer.get("/dashboard/mine/").url == f"/dashboard/units/{c.town_a.pk}/"
    assert officer.get(f"/dashboard/units/{c.town_a.pk}/?{OCTOBER}").status_code == 200
    assert officer.get(f"/dashboard/units/{c.town_b.pk}/").status_code == 404
    assert officer.get("/dashboard/").status_code == 404
    assert officer.get("/dashboard/xlsx/trend/").status_code == 404
    assert officer.get(f"/dashboard/units/{c.town_b.pk}/xlsx/u_trend/").status_code == 404


def test_other_department_gets_404(month: Month) -> None:
    other = client_for(month.county.other_editor)
    assert other.get(f"/dashboard/units/{month.county.town_a.pk}/").status_code == 404
    html = other.get(f"/dashboard/?{OCTOBER}").content.decode()
    assert "甲镇" not in html


def test_editor_opens_a_units_dashboard_against_the_median(month: Month) -> None:
    c = month.county
    html = client_for(c.editor).get(f"/dashboard/units/{c.town_a.pk}/?{OCTOBER}").content.decode()
    assert data_island(html)["u_trend"]["rows"] == [["2026-10", 3, 1.0, 2, 0.0]]


def test_xlsx_holds_exactly_the_figures_numbers(month: Month) -> None:
    response = client_for(month.county.editor).get(f"/dashboard/xlsx/heatmap/?{OCTOBER}")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(min_row=4, max_row=7, values_only=True)]
    assert rows == [["单位", "2026-10", "合计"], ["丙镇", 0, 0], ["乙镇", 1, 1], ["甲镇", 3, 3]]
    assert "2026年10月" in sheet["A2"].value


def test_unit_xlsx_for_the_unit_itself(month: Month) -> None:
    c = month.county
    url = f"/dashboard/units/{c.town_a.pk}/xlsx/u_funnel/?{OCTOBER}"
    sheet = load_workbook(io.BytesIO(client_for(c.officer_a).get(url).content)).active
    assert list(next(sheet.iter_rows(min_row=5, max_row=5, values_only=True))) == ["报送", 3, 1]


def test_unknown_chart_download_is_404(month: Month) -> None:
    assert client_for(month.county.editor).get("/dashboard/xlsx/nothing/").status_code == 404


def test_monthly_report_download_opens_in_word(month: Month) -> None:
    response = client_for(month.county.dept_leader).get(f"/dashboard/report.docx?month={YEAR}-10")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2026年10月信息工作月报" in text
    assert "共报送信息4条,县级采用2条" in text
    assert "丙镇" in text  # silent
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells][:3] == ["单位", "报送", "县级采用"]


def test_bad_report_month_is_a_message(month: Month) -> None:
    response = client_for(month.county.editor).get("/dashboard/report.docx?month=10-2026")
    assert response.status_code == 400
    assert "月份格式应为" in response.content.decode()


def _grow(month: Month, n: int) -> None:
    c = month.county
    for i in range(n):
        town = make_unit(name=f"新增镇{i}", parent=c.dept)
        officer = make_user(role=Role.OFFICER, unit=town)
        reported(officer, c.editor, submitted=at(10, 3 + i), adopted=at(10, 4 + i))


@pytest.mark.parametrize("who", ["officer", "editor"])
def test_unit_page_query_count_does_not_grow(
    month: Month, django_assert_num_queries: Any, who: str
) -> None:
    c = month.county
    client = client_for(c.officer_a if who == "officer" else c.editor)
    url = f"/dashboard/units/{c.town_a.pk}/?{OCTOBER}"
    client.get(url)  # the department's monthly cells are built once, on the first dashboard
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _grow(month, 4)
    cache.clear()
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == 200


WARM_QUERIES = 4  # session, the user with their unit, the ledger stamp, the unread badge


@pytest.mark.parametrize("warm", [False, True])
def test_query_counts_do_not_grow_with_the_data(
    month: Month, django_assert_num_queries: Any, warm: bool
) -> None:
    client = client_for(month.county.dept_leader)
    url = f"/dashboard/?{OCTOBER}"
    client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        client.get(url)  # first load at this size
    expected = len(small)
    if warm:
        with CaptureQueriesContext(connection) as again:
            client.get(url)
        expected = len(again)
        assert expected == WARM_QUERIES
    _grow(month, 4)
    cache.clear()
    if warm:
        client.get(url)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_a_watched_page_is_rendered_ahead_after_a_change(
    month: Month, django_capture_on_commit_callbacks: Any
) -> None:
    """Refresh-ahead: a leader who had to wait for the department page once finds it ready
    after the next change (the background refresh renders it), with the change in it."""
    c = month.county
    client = client_for(c.dept_leader)
    url = f"/dashboard/?{OCTOBER}"
    before = data_island(client.get(url).content.decode())  # a miss: the page is now watched
    officer_c = make_user(role=Role.OFFICER, unit=month.town_c)
    with django_capture_on_commit_callbacks(execute=True):
        reported(officer_c, c.editor, submitted=at(10, 20), adopted=at(10, 21))
    with CaptureQueriesContext(connection) as seen:
        after = data_island(client.get(url).content.decode())
    assert len(seen) == WARM_QUERIES  # a cache hit: the refresh rendered it
    assert after != before
    assert after["funnel"]["rows"][0][1] == before["funnel"]["rows"][0][1] + 1  # submitted


def test_a_page_nobody_watches_is_not_rendered_ahead(
    month: Month, django_capture_on_commit_callbacks: Any
) -> None:
    from xinbao.dashboard import cache as dashboard_cache
    from xinbao.dashboard.pages import warm

    c = month.county
    assert dashboard_cache.watched(c.dept.pk) is None
    officer_c = make_user(role=Role.OFFICER, unit=month.town_c)
    with django_capture_on_commit_callbacks(execute=True):
        reported(officer_c, c.editor, submitted=at(10, 20))
    assert warm(c.dept.pk, dashboard_cache.new_token()) is False
    client = client_for(c.dept_leader)
    with CaptureQueriesContext(connection) as seen:
        client.get(f"/dashboard/?{OCTOBER}")
    assert len(seen) > WARM_QUERIES  # computed in the request
    assert dashboard_cache.watched(c.dept.pk) is not None


def test_the_page_rendered_ahead_becomes_current_with_the_bump_only(month: Month) -> None:
    """``warm`` renders under the coming version: viewers keep the page as it was until the
    bump makes the new one current, and then wait for nothing."""
    from xinbao.dashboard import cache as dashboard_cache
    from xinbao.dashboard.pages import warm

    c = month.county
    client = client_for(c.dept_leader)
    url = f"/dashboard/?{OCTOBER}"
    before = data_island(client.get(url).content.decode())  # computed: now watched
    officer_c = make_user(role=Role.OFFICER, unit=month.town_c)
    reported(officer_c, c.editor, submitted=at(10, 20))  # no commit in the test: no refresh
    from xinbao.dashboard.aggregates import units_refresh

    units_refresh(c.dept.pk, [month.town_c.pk])  # the refresh's cells, as the task writes them
    token = dashboard_cache.new_token()
    assert warm(c.dept.pk, token) is True
    assert data_island(client.get(url).content.decode()) == before  # not current yet
    dashboard_cache.bump(c.dept.pk, token)
    with CaptureQueriesContext(connection) as seen:
        after = data_island(client.get(url).content.decode())
    assert len(seen) == WARM_QUERIES
    assert after["funnel"]["rows"][0][1] == before["funnel"]["rows"][0][1] + 1
