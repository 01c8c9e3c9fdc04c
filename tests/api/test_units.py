"""Units: what each role works with."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient
from tests.conftest import County
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]


def names(client: ApiClient) -> list[str]:
    response = client.get("/units")
    assert response.status_code == 200
    return [unit["name"] for unit in response.json()]


def test_officer_sees_own_unit_and_possible_co_reporters(county: County, api: Api) -> None:
    assert names(api(county.officer_a)) == ["甲镇", "乙镇"]


def test_editor_sees_the_department_and_its_units(county: County, api: Api) -> None:
    assert names(api(county.editor)) == ["测试县委组织部", "甲镇", "乙镇"]
    assert names(api(county.other_editor)) == ["邻县委组织部", "邻县丙镇"]


def test_administrator_sees_no_units(county: County, api: Api) -> None:
    assert names(api(county.sysadmin)) == []


def test_units_need_a_token(county: County, api: Api) -> None:
    assert api(None).get("/units").status_code == 401
