"""The search page and the header's search box."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import County
from tests.factories import make_item, put_in_state
from xinbao.items.models import State
from xinbao.orgs.models import User


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(response: Any) -> str:
    assert response.status_code == 200
    return str(response.content.decode())


def result_titles(page: str) -> list[str]:
    titles = re.findall(r'<div class="hit-title"><a [^>]*>(.*?)</a>', page, re.S)
    return [re.sub(r"</?mark>", "", title) for title in titles]


@pytest.mark.parametrize("who", ["officer_a", "leader_a", "editor", "dept_leader"])
def test_business_roles_have_the_search_box(county: County, who: str) -> None:
    page = page_of(client_for(getattr(county, who)).get("/search/"))
    assert 'class="search-box"' in page
    assert 'id="search-form"' in page


def test_administrators_have_no_search_box_and_no_search_page(county: County) -> None:
    client = client_for(county.sysadmin)
    assert 'class="search-box"' not in page_of(client.get("/account/"))
    assert client.get("/search/").status_code == 404


def test_the_results_page_shows_title_unit_state_date_and_snippet(county: County) -> None:
    item = put_in_state(
        make_item(
            officer=county.officer_a,
            title="甲鎮村級換屆",
            body="甲鎮<script>alert(1)</script>扎實推進換屆工作。",
        ),
        State.SUBMITTED,
    )
    page = page_of(client_for(county.editor).get("/search/", {"q": "换届"}))
    assert result_titles(page) == ["甲鎮村級換屆"]
    assert f'href="/items/{item.pk}/"' in page
    assert "甲镇" in page  # the unit
    assert 'class="badge state-submitted"' in page
    assert "报送于" in page
    assert "<mark>換屆</mark>" in page
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_advanced_form_filters_and_keeps_its_values(county: County) -> None:
    make_item(officer=county.officer_a, title="换届草稿")
    submitted = put_in_state(make_item(officer=county.officer_a, title="换届已报"), State.SUBMITTED)
    client = client_for(county.officer_a)
    page = page_of(client.get("/search/", {"q": "换届", "state": "submitted"}))
    assert result_titles(page) == [submitted.title]
    assert "<details open>" in page
    assert '<option value="submitted" selected>' in page


def test_an_empty_search_shows_only_the_form(county: County) -> None:
    page = page_of(client_for(county.editor).get("/search/"))
    assert 'id="search-results"' not in page


def test_no_results_says_so(county: County) -> None:
    page = page_of(client_for(county.editor).get("/search/", {"q": "不存在的词"}))
    assert "没有找到符合条件的信息" in page


def _make_submitted(county: County, n: int) -> None:
    for i in range(n):
        put_in_state(
            make_item(officer=county.officer_a, title=f"换届信息{i}", body="换届工作正文。"),
            State.SUBMITTED,
        )


@pytest.mark.parametrize("order", ["newest", "relevance"])
def test_query_count_does_not_grow_with_results(
    county: County, order: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(county.editor)
    _make_submitted(county, 3)
    # On PostgreSQL the full-text read goes with its planner settings and their reset in one
    # query string (search.index._planned), and the planner's estimate of the word
    # (index.common) is one more query. A word the planner's statistics (autovacuum's ANALYZE,
    # whenever it ran) put in a quarter of the entries is first read over a window of the
    # newest entries (search.index, windowed read): one more query, whatever the number of
    # results.
    window = 1 if connection.vendor == "postgresql" else 0
    budget = 12 + (1 + window if connection.vendor == "postgresql" else 0)
    with django_assert_max_num_queries(budget) as few:
        page_of(client.get("/search/", {"q": "换届", "order": order}))
    _make_submitted(county, 25)
    with django_assert_max_num_queries(len(few.captured_queries) + window):
        page = page_of(client.get("/search/", {"q": "换届", "order": order}))
    assert len(result_titles(page)) == 20
    assert "第 1 / 2 页,共 28 条" in page


def test_pagination_keeps_the_query(county: County) -> None:
    _make_submitted(county, 22)
    client = client_for(county.editor)
    first = page_of(client.get("/search/", {"q": "换届"}))
    assert "?q=%E6%8D%A2%E5%B1%8A&page=2" in first
    second = page_of(client.get("/search/", {"q": "换届", "page": 2}))
    assert len(result_titles(second)) == 2
