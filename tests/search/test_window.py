"""Newest first, PostgreSQL: the windowed read (each part of a user's view read only over its
newest entries, ``search.index.newest_document_ids``) finds exactly what the full read finds,
for every role, filter and kind of query, whether the window holds the answer or the full read
has to follow; and both reads are answered from the indexes they were built for. SQLite: the
stream of matches checked against the view (forwarded items as a set of ids read once) finds
what the items' own query finds."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_item, make_user, put_in_state
from xinbao.items.models import Item, State
from xinbao.items.services import transition
from xinbao.orgs.models import Role, User
from xinbao.publishing import services as publishing
from xinbao.search import index, queries
from xinbao.search.queries import SearchFilters, search_items

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the windowed read is PostgreSQL's"
)

QUERIES = ["换届", "工作", "换届 工作", "换届 OR 党建", "工作 -换届", '"村级换届"', "党", "量子"]
FILTERS: list[dict[str, Any]] = [
    {},
    {"state": State.SUBMITTED},
    {"date_from": timezone.localdate() - datetime.timedelta(days=1)},
]


@pytest.fixture
def corpus(county: County) -> dict[str, User]:
    """Items of both towns in many states, most saying 工作, some 换届 or 村级换届, and one
    forwarded to the city, whose editor then sees it through the forwarding alone."""
    states = [State.SUBMITTED, State.ADOPTED, State.RETURNED, State.DRAFT]
    for i in range(24):
        officer = county.officer_a if i % 3 else county.officer_b
        words = ["工作"] if i % 4 else []
        words += ["村级换届"] if i % 5 == 0 else (["换届"] if i % 2 else ["党建"])
        item = make_item(officer=officer, title=f"第{i}条" + "".join(words), body="正文。")
        put_in_state(item, states[i % len(states)])
    forwarded = put_in_state(
        make_item(officer=county.officer_a, title="换届工作经验", body="正文。"), State.SUBMITTED
    )
    transition(item=forwarded, actor=county.editor, action="adopt")
    forwarded.refresh_from_db()
    publishing.item_forward(item=forwarded, actor=county.editor)
    city = county.dept.parent
    assert city is not None
    return {
        "officer": county.officer_a,
        "unit leader": county.leader_b,
        "editor": county.editor,
        "department leader": county.dept_leader,
        "city editor": make_user(role=Role.EDITOR, unit=city, username="city_window"),
    }


def newest(user: User, query: str, filters: dict[str, Any], *, windowed: bool) -> list[int]:
    results = search_items(user, query, SearchFilters(**filters))
    if not windowed:
        results.windows = None
    return results.ids[: queries.COUNT_CAP + 1]  # one read of COUNT_CAP + 1 ids


@postgresql_only
@pytest.mark.parametrize("window_per_id", [1, 3])
def test_the_windowed_read_finds_what_the_full_read_finds(
    corpus: dict[str, User], monkeypatch: pytest.MonkeyPatch, window_per_id: int
) -> None:
    # Pages of 3 ids, windows of 3 or 9 entries: most reads are cut by the window, which is
    # tried whatever the word (phrases are always read in full).
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    monkeypatch.setattr(index, "WINDOW_PER_ID", window_per_id)
    monkeypatch.setattr(index, "common", lambda expression: True)
    for role, user in corpus.items():
        for query in QUERIES:
            for filters in FILTERS:
                windowed = newest(user, query, filters, windowed=True)
                assert windowed == newest(user, query, filters, windowed=False), (
                    role,
                    query,
                    filters,
                )


@postgresql_only
def test_both_outcomes_of_the_window_occur(
    corpus: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    monkeypatch.setattr(index, "WINDOW_PER_ID", 1)
    monkeypatch.setattr(index, "common", lambda expression: True)
    reads: list[bool] = []
    full = index._newest

    def spy(*args: Any, **kwargs: Any) -> list[int]:
        reads.append(kwargs.get("floors") is not None)
        return full(*args, **kwargs)

    monkeypatch.setattr(index, "_newest", spy)
    editor = corpus["editor"]
    newest(editor, "工作", {}, windowed=True)  # in most entries: the window answers
    assert reads == [True]
    reads.clear()
    newest(editor, "村级换届", {}, windowed=True)  # in few: the full read follows
    assert reads == [True, False]


@postgresql_only
def test_cached_planning_keeps_permissions_and_finds_new_items(
    county: County, corpus: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows of 3 entries, tried for every word (``common`` answers yes, from the cache after
    # the first search): floors planned before items are added and moved stay in the cache.
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    monkeypatch.setattr(index, "WINDOW_PER_ID", 1)
    monkeypatch.setattr(index, "COMMON_SHARE", 0.0)
    for user in corpus.values():
        for query in QUERIES:
            newest(user, query, {}, windowed=True)
    added = put_in_state(
        make_item(officer=county.officer_a, title="新的换届工作", body="正文。"), State.SUBMITTED
    )
    draft = make_item(officer=county.officer_b, title="草稿换届工作", body="正文。")
    moved = search_items(county.editor, "工作").ids[:3][-1]
    put_in_state(Item.objects.get(pk=moved), State.DRAFT)  # leaves the editor's view
    for role, user in corpus.items():
        for query in QUERIES:
            windowed = newest(user, query, {}, windowed=True)
            assert windowed == newest(user, query, {}, windowed=False), (role, query)
    editor = newest(corpus["editor"], "工作", {}, windowed=True)
    assert editor[0] == added.pk and moved not in editor and draft.pk not in editor
    assert newest(corpus["officer"], "工作", {}, windowed=True)[0] == added.pk
    assert draft.pk not in newest(corpus["unit leader"], "工作", {}, windowed=True)
    city = newest(corpus["city editor"], "工作", {}, windowed=True)  # the forwarded item only
    assert len(city) == 1 and {added.pk, draft.pk, moved}.isdisjoint(city)


def statements(user: User, query: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert search_items(user, query).count >= 0
    return [q["sql"] for q in captured.captured_queries]


def planning(sql: list[str]) -> tuple[int, int]:
    """The statements asking the planner (``common``) and the floors (``window_floors``)."""
    return (
        sum(s.startswith("EXPLAIN") for s in sql),
        sum(s.startswith("SELECT (SELECT") for s in sql),
    )


@postgresql_only
def test_planning_is_asked_once_per_expression_and_view(
    corpus: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index, "COMMON_SHARE", 0.0)
    first = statements(corpus["editor"], "工作")
    assert planning(first) == (1, 1)
    again = statements(corpus["editor"], "工作")
    assert planning(again) == (0, 0) and len(again) == len(first) - 2
    # The same word in another view: the planner's answer is shared, the floors are its own.
    assert planning(statements(corpus["officer"], "工作")) == (0, 1)
    assert planning(statements(corpus["editor"], "换届")) == (1, 0)


@postgresql_only
def test_a_views_floors_are_shared_by_its_role_and_unit_alone(
    county: County, corpus: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index, "COMMON_SHARE", 0.0)
    assert planning(statements(county.officer_a, "工作")) == (1, 1)
    assert planning(statements(county.officer_a2, "工作")) == (0, 0)  # same role and unit
    assert planning(statements(county.leader_a, "工作")) == (0, 1)  # no drafts: its own
    assert planning(statements(county.officer_b, "工作")) == (0, 1)
    assert planning(statements(county.dept_leader, "工作")) == (0, 1)
    # Each finds exactly what its full read finds.
    for user in (county.officer_a2, county.leader_a, county.dept_leader):
        assert newest(user, "工作", {}, windowed=True) == newest(user, "工作", {}, windowed=False)


def plan(sql: str, params: list[Any], settings: str) -> dict[str, Any]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(settings)
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        found = cursor.fetchone()[0]
    return json.loads(found)[0]["Plan"] if isinstance(found, str) else found[0]["Plan"]


def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in nodes(child))]


@postgresql_only
def test_the_window_is_tried_for_common_words_only(corpus: dict[str, User]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    assert index.common("'正文'")  # in every entry
    assert not index.common("'村级'")  # in one in five
    assert not index.common("'量子'")  # in none
    assert not index.common(None)


@postgresql_only
def test_the_floors_come_from_the_newest_index(corpus: dict[str, User]) -> None:
    results = search_items(corpus["editor"], "工作")
    assert results.windows is not None
    part = results.windows[0]  # the department's submitted entries
    newest_key = index.RawSQL('-"search_searchdocument"."item_id"', [])
    qs = part.order_by(newest_key.asc()).values_list("item_id")[1:2]
    sql, params = qs.query.sql_with_params()
    tree = plan(sql, list(params), "SET LOCAL enable_seqscan = off")
    # At this size (and before a vacuum) the planner may take a bitmap and sort; at 100,000
    # entries it walks the index, with no heap fetch (bench/bench_search.py, EXPLAIN).
    kinds = [(n["Node Type"], n.get("Index Name")) for n in nodes(tree)]
    assert {k[1] for k in kinds if k[1]} == {"search_doc_dept_newest"}, kinds
    assert not [k for k in kinds if k[0] == "Seq Scan"], kinds


@contextmanager
def copies_of(item_id: int, n: int, every: int = 10) -> Iterator[None]:
    """For the block, ``n`` more items like ``item_id``, and their entries: six in seven say
    工作, one in ``every`` is in the item's department (the others in departments of no unit,
    by number). Deleted after it and the entries analyzed again: ANALYZE's row count is kept
    though the test's rows are rolled back."""
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in Item._meta.concrete_fields if not f.primary_key
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO items_item ({columns}) SELECT {columns}"  # noqa: S608 - model columns
            " FROM items_item, generate_series(1, %s) WHERE id = %s",
            [n, item_id],
        )
        cursor.execute(
            "INSERT INTO search_searchdocument"
            " (item_id, tokens, unit_id, department_id, state, indexed_at)"
            " SELECT id, CASE WHEN id %% 7 = 0 THEN '正文' ELSE '工作 正文' END, unit_id,"
            " CASE WHEN id %% %s = 1 %% %s THEN department_id ELSE 1000000 + id %% 10 END,"
            " state, now() FROM items_item WHERE id > %s",
            [every, every, item_id],
        )
        cursor.execute("ANALYZE search_searchdocument")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_searchdocument WHERE item_id > %s", [item_id])
            cursor.execute("DELETE FROM items_item WHERE id > %s", [item_id])
            cursor.execute("ANALYZE search_searchdocument")


@postgresql_only
def test_the_window_is_walked_newest_first_never_read_from_the_gin_index(county: County) -> None:
    # 10,000 entries over 10 departments; the department's window, its 160 newest entries,
    # is the newest sixth of the table, as a county's 1,002 newest are at 100,000 entries.
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    with copies_of(item.pk, 10_000):
        window_walked(county)


def window_walked(county: County) -> None:
    results = search_items(county.editor, "工作")
    assert results.windows is not None and results.documents is not None
    floors = index.window_floors(results.windows, 160)
    assert floors[0] is not None and floors[1] is None  # nothing forwarded: read whole
    union = index._union(results.documents, "'工作'", floors=floors, limit=20)
    assert union is not None
    sql, params = union
    tree = plan(sql, params, index.PLANNER_OFF["window"])
    entries = [n for n in nodes(tree) if n.get("Relation Name") == "search_searchdocument"]
    assert entries, tree
    # Never the GIN index, whose posting list of a common word is the whole table's (at
    # 1,000,000 entries 工作's bitmap alone cost 14 ms), nor a walk of the whole table.
    assert {n["Node Type"] for n in entries} <= {"Index Scan", "Index Only Scan"}, entries
    assert "search_doc_scope_gin" not in json.dumps(tree), tree
    # The department's part walks its newest index from the newest entry down, the floor in
    # the index's key (so the walk ends at the window whatever it finds), and stops at 20.
    (part,) = [n for n in entries if "department_id" in n.get("Index Cond", "")]
    assert part["Index Name"] == "search_doc_dept_newest", part
    assert f"<= '{-floors[0]}'" in part["Index Cond"] or f"<= {-floors[0]}" in part["Index Cond"]
    assert "@@" in part.get("Filter", ""), part
    limits = [n for n in nodes(tree) if n["Node Type"] == "Limit"]
    assert any(n["Plan Rows"] <= 20 for n in limits), tree


@postgresql_only
def test_the_full_read_sorts_each_parts_gin_matches_never_walks_the_primary_key(
    county: County,
) -> None:
    # All 10,000 entries in the editor's department, six in seven saying 工作: newest first,
    # the planner would rather walk the primary key and test each vector until 20 match.
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    with copies_of(item.pk, 10_000, every=1):
        results = search_items(county.editor, "工作")
        assert results.documents is not None and results.compiled is not None
        union = index._union(results.documents, "'工作'", limit=20)
        assert union is not None
        sql, params = union
        newest = index.NEWEST_SQL.replace("{candidates}", sql)
        tree = plan(newest, [*params, 20], index.PLANNER_OFF["newest"])
        entries = [n for n in nodes(tree) if n.get("Relation Name") == "search_searchdocument"]
        assert entries, tree
        assert {n["Node Type"] for n in entries} == {"Bitmap Heap Scan"}, entries
        # Each part's matches sorted top-N under its own limit of 20.
        limits = [n for n in nodes(tree) if n["Node Type"] == "Limit"]
        assert len(limits) >= 1 + len(entries), tree
        # The same ids as the union of all matches sorted whole.
        whole = index._union(results.documents, "'工作'")
        assert whole is not None
        every = index._planned(
            f"{whole[0]} ORDER BY 1 DESC LIMIT 20", whole[1], index.PLANNER_OFF["full"]
        )
        found = index._newest(results.documents, results.compiled, 20)
        assert found == [row[0] for row in every]
        assert len(found) == 20


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the stream is SQLite's")
def test_the_stream_finds_what_the_items_query_finds(corpus: dict[str, User]) -> None:
    """Every role (one unit's view included), with and without filters: the stream of the
    parts' scoped arms (``search.index.scoped``) finds exactly the newest of the items query."""
    for role, user in corpus.items():
        for query in QUERIES:
            for filters in FILTERS:
                results = search_items(user, query, SearchFilters(**filters))
                if results.expression is None:
                    continue
                stream = results.ids
                assert stream.streamed, (role, query)
                expected = list(results.queryset.order_by("-pk").values_list("pk", flat=True)[:100])
                assert stream[:100] == expected, (role, query, filters)
    # The city editor sees the forwarded item through the set of ids alone.
    assert search_items(corpus["city editor"], "换届工作").ids[:10] != []


@pytest.mark.parametrize("query", ["", "-换届", "-换届 -党建", "单位:甲镇", "-单位:甲镇"])
def test_a_search_without_words_lists_the_newest_of_the_view(
    county: County, corpus: dict[str, User], query: str
) -> None:
    """Filters alone, or words only excluded: each part of the view read newest first on its
    own (``items.permissions.newest_visible_ids``) gives the newest of the items query."""
    for role, user in corpus.items():
        for filters in [*FILTERS, {"category_name": "动态"}, {"unit_id": county.town_b.pk}]:
            results = search_items(user, query, SearchFilters(**filters))
            assert results.expression is None
            expected = list(results.queryset.order_by("-pk").values_list("pk", flat=True))
            assert results.ids[: queries.COUNT_CAP + 1] == expected[: queries.COUNT_CAP + 1], (
                role,
                filters,
            )
            assert results.count == min(len(expected), queries.COUNT_CAP)
    assert search_items(corpus["city editor"], "").ids[:10] != []  # the forwarded item


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return str(cursor.fetchone()[0])


@postgresql_only
@pytest.mark.parametrize("fixture", ["db", "transactional_db"])  # in a transaction, or not
def test_the_planner_settings_hold_for_the_one_statement(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue(fixture)
    sql = "SELECT current_setting('enable_seqscan'), current_setting('enable_bitmapscan'), %s"
    window = index._planned(sql, [7], index.PLANNER_OFF["window"])
    assert window == [("off", "off", 7)]
    assert index._planned(sql, [8], index.PLANNER_OFF["full"]) == [("off", "on", 8)]
    newest = sql.replace("%s", "current_setting('enable_indexscan'), %s")
    assert index._planned(newest, [9], index.PLANNER_OFF["newest"]) == [("off", "on", "off", 9)]
    settings = ("enable_seqscan", "enable_bitmapscan", "enable_indexscan")
    assert [_setting(name) for name in settings] == ["on", "on", "on"]
