"""``GET /api/v1/dashboard/...``: the same numbers as the pages, the same scope."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient
from tests.dashboard.conftest import YEAR, Month
from xinbao.api.services import token_create
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

OCTOBER = {"period": "month", "month": f"{YEAR}-10"}


def api(user: User) -> ApiClient:
    _token, secret = token_create(user=user, name="测试")
    return ApiClient(secret)


def test_department_figures_match_the_page(month: Month) -> None:
    response = api(month.county.editor).get("/dashboard/department", OCTOBER)
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "2026年10月"
    figures = {f["key"]: f for f in body["figures"]}
    assert figures["trend"]["rows"] == [["2026-10", 4, 2]]
    assert [r[1] for r in figures["funnel"]["rows"]] == [4, 2, 1, 1, 0, 1]


def test_unit_figures_for_the_units_officer(month: Month) -> None:
    c = month.county
    response = api(c.officer_a).get(f"/dashboard/units/{c.town_a.pk}", OCTOBER)
    assert response.status_code == 200
    figures = {f["key"]: f for f in response.json()["figures"]}
    assert figures["u_trend"]["rows"] == [["2026-10", 3, 1.0, 2, 0.0]]


def test_other_units_and_departments_are_refused(month: Month) -> None:
    c = month.county
    assert api(c.officer_a).get(f"/dashboard/units/{c.town_b.pk}").status_code == 404
    assert api(c.other_editor).get(f"/dashboard/units/{c.town_a.pk}").status_code == 404
    assert api(c.officer_a).get("/dashboard/department").status_code == 403


def test_bad_period_is_a_chinese_400(month: Month) -> None:
    response = api(month.county.editor).get(
        "/dashboard/department", {"period": "month", "month": "13"}
    )
    assert response.status_code == 400
    assert "月份格式" in response.json()["detail"]
