"""``GET /search`` and ``POST /similar``: the same reads and permissions as the commands."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from bench import near_duplicates as nd

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_item
from xinbao.items.services import transition
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]


def test_search_finds_traditional_query_in_simplified_items_for_the_editor(
    county: County, api: Api
) -> None:
    draft = make_item(officer=county.officer_a, title="甲镇村级组织换届平稳有序")
    submitted = make_item(officer=county.officer_a, title="甲镇换届纪律监督有力")
    transition(item=submitted, actor=county.officer_a, action="submit")
    response = api(county.editor).get("/search", {"q": "換屆"})
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [submitted.pk]
    assert set(rows[0]) == {"id", "title", "unit", "score", "snippet"}
    officer_rows = api(county.officer_a).get("/search", {"q": "换届", "order": "relevance"})
    assert {row["id"] for row in officer_rows.json()} == {draft.pk, submitted.pk}
    assert api(county.other_editor).get("/search", {"q": "换届"}).json() == []


def test_search_refuses_an_empty_query_with_a_chinese_message(county: County, api: Api) -> None:
    response = api(county.editor).get("/search", {"q": ""})
    assert response.status_code == 422
    assert response.json()["detail"]


def test_similar_lists_only_visible_items_most_similar_first(county: County, api: Api) -> None:
    rng = random.Random("api-similar")
    src = nd.source(rng, "election")
    exact = make_item(officer=county.officer_a, title=src.title, body=src.body)
    near = nd.variant(rng, src, "delete")
    close = make_item(officer=county.officer_a, title=near.title, body=near.body)
    response = api(county.officer_a).post("/similar", {"text": src.body})
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [exact.pk, close.pk]
    assert set(rows[0]) == {"id", "title", "similarity", "containment"}
    assert rows[0]["similarity"] > rows[1]["similarity"]
    assert api(county.officer_b).post("/similar", {"text": src.body}).json() == []
    assert api(county.editor).post("/similar", {"text": src.body}).json() == []  # drafts
    assert api(county.officer_a).post("/similar", {"text": ""}).status_code == 422
