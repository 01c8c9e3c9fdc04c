"""Full-text search: both scripts, two-character terms, phrases, OR/NOT, unit exclusion, filters,
permissions exactly as the lists, and an index that follows every change of an item."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import County
from tests.factories import category, docx_bytes, make_attachment, make_item, put_in_state
from tests.search.conftest import found
from xinbao.items.attachments import DOCX_MIME
from xinbao.items.models import Item, ItemEvent, State, Urgency
from xinbao.items.services import ItemData, item_update, transition
from xinbao.search import index
from xinbao.search.models import SearchDocument
from xinbao.search.queries import search_items

HUANJIE = "城关镇扎实做好村级换届工作"
HUANJIE_BODY = "今年以来,城关镇把村(社区)“两委”换届作为基层组织建设的头等大事。\n一是严格程序。"
HANT_TITLE = "乙鎮推進黨建引領基層治理"
HANT_BODY = "乙鎮堅持黨建引領,推動基層治理提質增效。\n一是強化組織建設。"


@pytest.fixture
def items(county: County) -> dict[str, Item]:
    """Submitted items of both towns (one in Traditional script) and a draft of each."""
    a = put_in_state(
        make_item(officer=county.officer_a, title=HUANJIE, body=HUANJIE_BODY), State.SUBMITTED
    )
    b = put_in_state(
        make_item(officer=county.officer_b, title=HANT_TITLE, body=HANT_BODY), State.SUBMITTED
    )
    draft_a = make_item(officer=county.officer_a, title="甲镇换届草稿", body="换届草稿正文。")
    draft_b = make_item(officer=county.officer_b, title="乙镇换届草稿", body="换届草稿正文。")
    return {"a": a, "b": b, "draft_a": draft_a, "draft_b": draft_b}


# --- scripts and terms -----------------------------------------------------------------------


def test_a_traditional_query_finds_a_simplified_item(county: County, items: dict) -> None:
    assert found(county.editor, "換屆") == [items["a"].pk]


def test_a_simplified_query_finds_a_traditional_item(county: County, items: dict) -> None:
    assert found(county.editor, "党建引领") == [items["b"].pk]
    assert found(county.editor, "基层治理") == [items["b"].pk]


def test_two_character_terms_match(county: County, items: dict) -> None:
    assert found(county.editor, "党建") == [items["b"].pk]
    assert found(county.editor, "换届") == [items["a"].pk]
    assert found(county.editor, "两委") == [items["a"].pk]


def test_all_words_are_required_by_default(county: County, items: dict) -> None:
    assert found(county.editor, "换届 严格程序") == [items["a"].pk]
    assert found(county.editor, "换届 党建") == []
    assert found(county.editor, "换届 AND 程序") == [items["a"].pk]


def test_a_phrase_must_occur_as_written(county: County) -> None:
    together = put_in_state(
        make_item(officer=county.officer_a, title="组织建设", body="加强基层组织建设。"),
        State.SUBMITTED,
    )
    apart = put_in_state(
        make_item(officer=county.officer_a, title="建设", body="基层组织抓建设,建设有成效。"),
        State.SUBMITTED,
    )
    assert found(county.editor, '"基层组织建设"') == [together.pk]
    assert set(found(county.editor, "基层组织 建设")) == {together.pk, apart.pk}
    assert found(county.editor, "“基層組織建設”") == [together.pk]


def test_a_phrase_spans_punctuation_folded_in_the_query(county: County, items: dict) -> None:
    assert found(county.editor, '"两委”换届"') == [items["a"].pk]


def test_or_finds_either(county: County, items: dict) -> None:
    assert set(found(county.editor, "换届 OR 党建")) == {items["a"].pk, items["b"].pk}
    assert set(found(county.editor, "换届 | 黨建")) == {items["a"].pk, items["b"].pk}


def test_not_and_minus_exclude(county: County, items: dict) -> None:
    assert found(county.editor, "基层 -换届") == [items["b"].pk]
    assert found(county.editor, "基层 NOT 换届") == [items["b"].pk]
    assert items["a"].pk not in found(county.editor, "-换届")
    assert items["b"].pk in found(county.editor, "-换届")


def test_a_unit_can_be_excluded_or_required(county: County, items: dict) -> None:
    assert found(county.editor, "基层 -单位:甲镇") == [items["b"].pk]
    assert found(county.editor, "基层 -單位:甲鎮") == [items["b"].pk]
    assert found(county.editor, f"基层 单位:{county.town_b.code}") == [items["b"].pk]
    assert found(county.editor, "基层", exclude_unit_id=county.town_a.pk) == [items["b"].pk]


def test_an_unknown_unit_is_reported_and_finds_nothing(county: County, items: dict) -> None:
    results = search_items(county.editor, "基层 单位:无此镇")
    assert results.count == 0
    assert results.notices == ["没有找到单位“无此镇”。"]


@pytest.mark.parametrize(
    "query",
    ['"', "*", "NEAR(换届", "换届)", "^换届", "a:b", "'", "\\", "--", "OR", "- -", "换届 OR"],
)
def test_query_syntax_characters_are_never_an_error(
    county: County, items: dict, query: str
) -> None:
    found(county.editor, query)  # no database error, whatever the result


def test_a_lone_character_matches_words_starting_with_it(county: County, items: dict) -> None:
    assert found(county.editor, "换") == [items["a"].pk]


# --- order, filters ---------------------------------------------------------------------------


def test_newest_first_by_default_and_relevance_on_request(county: County) -> None:
    often = put_in_state(
        make_item(officer=county.officer_a, title="换届换届", body="换届。换届。换届工作。"),
        State.SUBMITTED,
    )
    once = put_in_state(
        make_item(officer=county.officer_a, title="工作简报", body="顺带提到换届。其他工作很多。"),
        State.SUBMITTED,
    )
    assert found(county.editor, "换届") == [once.pk, often.pk]
    assert found(county.editor, "换届", order="relevance") == [often.pk, once.pk]
    page = search_items(county.editor, "换届", order="relevance").page(1)
    scores = [hit.score for hit in page.object_list]
    assert scores[0] > scores[1] > 0


def test_filters_narrow_the_matches(county: County, items: dict) -> None:
    a, b = items["a"], items["b"]
    assert found(county.editor, "", unit_id=county.town_b.pk) == [b.pk]
    assert found(county.editor, "", state=State.SUBMITTED) == [b.pk, a.pk]
    assert found(county.editor, "", state=State.ADOPTED) == []
    assert found(county.editor, "", category_id=category().pk) == [b.pk, a.pk]
    assert found(county.editor, "", urgency=Urgency.URGENT) == []
    assert found(county.editor, "", unit_kind="department") == []
    today = timezone.localdate()
    assert found(county.editor, "", date_from=today, date_to=today) == [b.pk, a.pk]
    assert found(county.editor, "", date_to=today - datetime.timedelta(days=1)) == []


def test_the_adoption_filter(county: County, items: dict) -> None:
    a = transition(item=items["a"], actor=county.editor, action="adopt")
    assert ItemEvent.objects.filter(item=a, action="adopt").exists()
    assert found(county.editor, "", adoption="adopted") == [a.pk]
    assert found(county.editor, "", adoption="not_adopted") == [items["b"].pk]
    assert found(county.editor, "", adoption="upper") == []


# --- permissions ------------------------------------------------------------------------------


def test_an_officer_finds_only_their_own_units_items(county: County, items: dict) -> None:
    assert set(found(county.officer_a, "换届")) == {items["a"].pk, items["draft_a"].pk}
    assert found(county.officer_a, "党建") == []  # town B's submitted item
    assert set(found(county.officer_b, "换届")) == {items["draft_b"].pk}


def test_an_editor_and_a_leader_never_find_drafts(county: County, items: dict) -> None:
    assert found(county.editor, "换届") == [items["a"].pk]
    assert found(county.editor, "草稿") == []
    assert found(county.dept_leader, "草稿") == []
    assert found(county.leader_a, "草稿") == []  # the unit leader sees no drafts either


def test_another_county_and_administrators_find_nothing(county: County, items: dict) -> None:
    for user in (county.other_editor, county.other_officer, county.sysadmin):
        assert found(user, "换届") == []
        assert found(user, "") == []


# --- the index follows the item ---------------------------------------------------------------


def test_after_an_edit_old_words_are_gone_and_new_words_are_found(county: County) -> None:
    item = make_item(officer=county.officer_a, title="村级换届", body="换届工作正文。")
    data = ItemData(title="党员冬训", body="开展党员冬训。", category=category())
    item_update(item=item, actor=county.officer_a, data=data, version=item.version)
    assert found(county.officer_a, "换届") == []
    assert found(county.officer_a, "冬训") == [item.pk]


def test_keywords_are_indexed(county: County) -> None:
    item = make_item(officer=county.officer_a, keywords="乡村振兴 驻村")
    assert found(county.officer_a, "乡村振兴") == [item.pk]


def test_after_withdraw_the_officer_still_finds_it_the_editor_does_not(county: County) -> None:
    item = make_item(officer=county.officer_a, title="撤回测试换届", body="换届正文。")
    transition(item=item, actor=county.officer_a, action="submit")
    assert found(county.editor, "撤回测试") == [item.pk]
    transition(item=item, actor=county.officer_a, action="withdraw")
    assert found(county.officer_a, "撤回测试") == [item.pk]
    assert found(county.editor, "撤回测试") == []


def test_after_delete_the_item_is_gone_from_the_index(county: County, media_root: object) -> None:
    item = make_item(officer=county.officer_a, title="将被删除的信息", body="删除测试正文。")
    make_attachment(item=item)
    pk = item.pk
    assert index.search_ids("删除测试") == [pk]
    item.delete()
    assert index.search_ids("删除测试") == []
    assert not SearchDocument.objects.filter(item_id=pk).exists()


def test_reindex_restores_a_lost_index_and_rewrites_nothing_when_current(
    county: County, items: dict
) -> None:
    SearchDocument.objects.all().delete()
    assert found(county.editor, "换届") == []
    result = index.reindex(batch_size=2)
    assert (result.items, result.written) == (4, 4)
    assert found(county.editor, "换届") == [items["a"].pk]
    assert index.reindex().written == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the straight COPY is PostgreSQL's")
def test_a_first_build_copies_its_entries_and_upserts_a_batch_an_items_save_indexed_meanwhile(
    county: County, items: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build (an empty table) copies each batch's entries straight into the table; an
    item whose own save wrote its entry between the batch's read and that copy makes the copy
    fail as a whole, and the batch's other entries are inserted instead, the save's entry (from
    newer text) left as it is: the same entries as indexing each item."""

    def entries() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT item_id, tokens, vector::text, unit_id, department_id, state"
                " FROM search_searchdocument ORDER BY item_id"
            )
            return list(cursor.fetchall())

    expected = entries()
    SearchDocument.objects.all().delete()
    copy = index._copy_documents
    copied: list[bool] = []

    edited: list[int] = []

    def save_meanwhile(rows: list[tuple[Any, ...]], now: object) -> bool:
        if len(copied) == 1:  # the second batch: its first item is edited and indexed now
            item = Item.objects.get(pk=rows[0][0])
            Item.objects.filter(pk=item.pk).update(title="批次读取之后改过的标题")
            item.refresh_from_db()
            index.index_item(item)
            edited.append(item.pk)
        copied.append(copy(rows, now))
        return copied[-1]

    monkeypatch.setattr(index, "_copy_documents", save_meanwhile)
    result = index.reindex(batch_size=2)
    assert copied == [True, False]  # the second batch met the save
    assert (result.items, result.written) == (4, 3)  # the save's entry was left as it is
    got = entries()
    assert [row for row in got if row[0] != edited[0]] == [
        row for row in expected if row[0] != edited[0]
    ]
    assert index.search_ids("批次读取之后改过") == edited  # the newer text, not the batch's
    assert found(county.editor, "换届") == [items["a"].pk]


def test_text_of_a_word_attachment_is_found(county: County, media_root: object) -> None:
    item = make_item(officer=county.officer_a, title="附件测试", body="正文无关。")
    data = docx_bytes("附件标题", "附件里写着乡村振兴示范带建设。")
    make_attachment(item=item, data=data, name="材料.docx", content_type=DOCX_MIME)
    assert found(county.officer_a, "示范带") == [item.pk]
    item.attachments.get().delete()
    assert found(county.officer_a, "示范带") == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 is SQLite's")
def test_fts5_keeps_chinese_tokens_intact_and_stays_consistent(county: County, items: dict) -> None:
    item_update(
        item=items["draft_a"],
        actor=county.officer_a,
        data=dataclasses.replace(
            ItemData(title="改过的标题", body="改过的正文。", category=category())
        ),
        version=items["draft_a"].version,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", ['"换届"'])
        whole = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", ['"换"'])
        half = cursor.fetchall()
        # Raises when the index and its content table disagree.
        cursor.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
    assert whole == {items["a"].pk, items["draft_b"].pk}
    assert half == []


def fts_scope(token: str) -> set[int]:
    """SQLite: the entries whose scope tokens (``fulltext.SCOPED_CREATE``) include ``token``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM search_fts WHERE search_fts MATCH ?", [f'scope : "{token}"']
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 is SQLite's")
def test_fts5_scope_tokens_follow_the_entry(county: County, items: dict) -> None:
    a, b = county.town_a, county.town_b
    item = items["a"]
    assert item.pk in fts_scope(f"u{a.pk}") & fts_scope(f"d{county.dept.pk}")
    Item.objects.filter(pk=item.pk).update(unit=b)
    item.refresh_from_db()
    index.scope_sync(item)
    assert item.pk in fts_scope(f"u{b.pk}")
    assert item.pk not in fts_scope(f"u{a.pk}")
    assert found(county.officer_b, "换届") == [items["draft_b"].pk, item.pk]
    assert found(county.officer_a, "换届") == [items["draft_a"].pk]
    item.delete()
    assert item.pk not in fts_scope(f"u{b.pk}")
    with connection.cursor() as cursor:  # raises when the index is inconsistent
        cursor.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 is SQLite's")
def test_a_workflow_move_leaves_the_fts5_entry_alone(county: County, items: dict) -> None:
    """The copied state changes with every move; the FTS5 entry only with the tokens, unit or
    department (its update trigger's condition), so a move costs no re-indexing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT total_changes()")
        before = cursor.fetchone()[0]
        SearchDocument.objects.filter(item_id=items["a"].pk).update(state=State.ADOPTED)
        cursor.execute("SELECT total_changes()")
        after = cursor.fetchone()[0]
    assert after - before == 1  # the entry's row alone, no FTS5 delete and insert


def test_a_word_that_reads_like_a_scope_token_matches_text_only(
    county: County, items: dict
) -> None:
    """SQLite's FTS5 table also indexes each entry's department and unit as ``d<id> u<id>``;
    a query's words are asked of the text alone."""
    unit, dept = county.town_a.pk, county.dept.pk
    assert found(county.editor, f"u{unit}") == []
    assert found(county.editor, f"d{dept}") == []
    assert found(county.officer_a, f"u{unit} OR d{dept}") == []
    named = put_in_state(
        make_item(officer=county.officer_b, title="编号", body=f"档案编号 u{unit} 已归档。"),
        State.SUBMITTED,
    )
    assert found(county.editor, f"u{unit}") == [named.pk]


@pytest.mark.parametrize("who", ["officer_a", "editor"])
def test_a_newest_first_page_costs_the_same_few_queries(
    county: County, items: dict, who: str, django_assert_max_num_queries: Any
) -> None:
    """SQLite: one read of the ids (counted and paged together), one of the page's items,
    whatever the role. PostgreSQL: the planner's estimate of the word (``index.common``), at
    most two reads of the ids (windowed, then in full), one of the items."""
    user = getattr(county, who)
    for i in range(3):
        put_in_state(make_item(officer=county.officer_a, title=f"换届{i}"), State.SUBMITTED)
    budget = 2 if connection.vendor == "sqlite" else 5
    with django_assert_max_num_queries(budget):
        results = search_items(user, "换届")
        page = results.page(1)
        assert results.count == len(page.object_list) > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector is PostgreSQL's")
def test_postgresql_vector_holds_the_tokens(county: County, items: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT item_id FROM search_searchdocument WHERE vector @@ to_tsquery('simple', %s)",
            ["'换届'"],
        )
        ids = {row[0] for row in cursor.fetchall()}
    assert ids == {items["a"].pk, items["draft_a"].pk, items["draft_b"].pk}


def test_beyond_the_count_cap_the_newest_are_listed(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinbao.search import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    made = [
        put_in_state(make_item(officer=county.officer_a, title=f"换届{i}"), State.SUBMITTED).pk
        for i in range(5)
    ]
    results = search_items(county.editor, "换届")
    assert (results.count, results.more) == (3, True)
    page = results.page(1, per_page=10)
    assert [hit.item.pk for hit in page.object_list] == made[::-1][:3]


def test_the_streamed_and_the_queryset_paths_find_the_same(county: County, items: dict) -> None:
    for i in range(4):
        put_in_state(make_item(officer=county.officer_b, title=f"党建{i}"), State.SUBMITTED)
    results = search_items(county.editor, "党建 OR 换届 -草稿")
    wide = queries_ids(results, narrow=False)
    narrow = queries_ids(results, narrow=True)
    assert wide == narrow
    assert len(wide) == 6


def queries_ids(results: object, *, narrow: bool) -> list[int]:
    from xinbao.search.queries import NewestIds, SearchResults

    assert isinstance(results, SearchResults)
    ids = NewestIds(
        results.queryset,
        results.expression,
        unmatched=results.unmatched if results.unmatched is not None else results.queryset,
        narrow=narrow,
    )
    assert ids.streamed is (not narrow and connection.vendor == "sqlite")
    assert ids.count() == len(ids[:100])
    return ids[:100]


@pytest.mark.parametrize("threshold", [0, 10_000])
def test_a_narrow_view_finds_the_same_asking_per_item_or_not(
    county: County, items: dict, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    monkeypatch.setattr(index, "PER_ITEM_ABOVE", threshold)
    assert set(found(county.officer_a, "换届")) == {items["a"].pk, items["draft_a"].pk}
    assert found(county.officer_a, "换届 -草稿") == [items["a"].pk]
    assert found(county.officer_a, '"两委”换届"', order="relevance") == [items["a"].pk]
    assert found(county.editor, "基层", unit_id=county.town_b.pk) == [items["b"].pk]


def vector_match(query: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT item_id FROM search_searchdocument WHERE vector @@ to_tsquery('simple', %s)",
            [query],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector is PostgreSQL's")
def test_postgresql_vectors_missing_since_the_upgrade_are_backfilled_once(
    county: County, items: dict
) -> None:
    """search/0002 no longer rewrites the table: documents from before it have no vector (they
    match nothing) until ``xinbao backfill`` gives them theirs, in batches; the trigger keeps
    every vector equal to ``to_tsvector('simple', tokens)``."""
    from xinbao.search import fulltext

    expected = {items["a"].pk, items["draft_a"].pk, items["draft_b"].pk}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE search_searchdocument SET vector = NULL")
    assert vector_match("'换届'") == set()
    pending = fulltext.vector_pending()
    assert pending >= 4

    class Stop(Exception):
        pass

    def stop(n: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        fulltext.backfill(batch_size=2, progress=stop)
    assert fulltext.vector_pending() == pending - 2
    assert fulltext.backfill(batch_size=2) == pending - 2
    assert fulltext.backfill(batch_size=2) == 0
    assert vector_match("'换届'") == expected
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_searchdocument"
            " WHERE vector IS DISTINCT FROM to_tsvector('simple'::regconfig, tokens)"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(  # a plain column now (not generated), with the index on it
            "SELECT attgenerated FROM pg_attribute"
            " WHERE attrelid = 'search_searchdocument'::regclass AND attname = 'vector'"
        )
        assert cursor.fetchone()[0] == ""
        cursor.execute(
            "UPDATE search_searchdocument SET tokens = '换届 新词' WHERE item_id = %s",
            [items["b"].pk],
        )
    assert vector_match("'新词'") == {items["b"].pk}


def test_token_strings_are_the_stored_ones_of_the_indexed_ids(items: dict) -> None:
    ids = [item.pk for item in items.values()]
    stored = dict(SearchDocument.objects.values_list("item_id", "tokens"))
    assert index.token_strings([*ids, 999_999]) == {pk: stored[pk] for pk in ids}
    assert index.token_strings([]) == {}


def test_a_lone_character_ranks_the_items_with_more_words_starting_with_it_first(
    county: County,
) -> None:
    """A prefix phrase counts every token it starts (``换届``, ``换班``), not the lone one."""
    many = put_in_state(
        make_item(officer=county.officer_a, title="换届换班", body="换届。换班。换岗。"),
        State.SUBMITTED,
    )
    few = put_in_state(
        make_item(officer=county.officer_a, title="工作简报", body="顺带提到换届。其他工作很多。"),
        State.SUBMITTED,
    )
    assert found(county.editor, "换") == [few.pk, many.pk]
    assert found(county.editor, "换", order="relevance") == [many.pk, few.pk]


def test_a_hit_highlights_its_title_and_snippet_only_when_read(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API and the command read no highlighted title: a page makes none for them."""
    from xinbao.search import snippets

    put_in_state(
        make_item(officer=county.officer_a, title="换届工作经验", body="今年换届工作顺利。"),
        State.SUBMITTED,
    )
    calls: list[str] = []
    for name in ("highlight", "snippet"):
        real = getattr(snippets, name)
        monkeypatch.setattr(
            snippets, name, lambda *a, _n=name, _f=real, **k: calls.append(_n) or _f(*a, **k)
        )
    (hit,) = search_items(county.editor, "换届").page(1).object_list
    assert calls == []
    assert str(hit.snippet) == "今年<mark>换届</mark>工作顺利。"
    assert str(hit.title_html) == "<mark>换届</mark>工作经验"
    assert str(hit.snippet) == "今年<mark>换届</mark>工作顺利。"
    assert calls == ["snippet", "highlight"]  # each made once
