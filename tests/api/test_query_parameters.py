"""A query parameter an operation does not declare is refused (422, Chinese), never ignored: a
misspelt filter must not quietly return the unfiltered list."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import ApiClient
from tests.conftest import County
from xinbao.orgs.models import User


def test_misspelt_filter_is_refused_and_the_right_one_works(
    county: County, api: Callable[[User | None], ApiClient]
) -> None:
    client = api(county.officer_a)
    refused = client.get("/items?stat=draft")
    assert refused.status_code == 422
    assert refused.json() == {"detail": "不认识的查询参数:stat"}
    assert client.get("/items?state=draft").status_code == 200


def test_operation_without_query_parameters_refuses_any(
    county: County, api: Callable[[User | None], ApiClient]
) -> None:
    client = api(county.editor)
    assert client.get("/me").status_code == 200
    assert client.get("/me?debug=1").status_code == 422
