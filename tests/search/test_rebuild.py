"""``search.rebuild``: the bulk rebuild of the near-duplicate index gives exactly what indexing
every item one by one gives."""

from __future__ import annotations

import datetime
import itertools
import random
from typing import Any

import pytest
from bench import near_duplicates as nd
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import County
from tests.factories import category, make_item, make_unit, make_user
from xinbao.items.models import Item, State
from xinbao.orgs.models import Role
from xinbao.search import duplicates, index, pairing, parallel, rebuild
from xinbao.search import shingles as sh
from xinbao.search.models import DuplicateSignature, LshBand, SearchDocument, SimilarPair


def corpus(county: County, n_sources: int = 14, seed: str = "rebuild") -> list[Item]:
    """Distinct items on two themes and near-duplicates of them (every kind of edit) from other
    units of the same and of another department, submitted over ten days (drafts: never), all
    bulk-inserted, so nothing is indexed yet."""
    rng = random.Random(seed)
    town_c = make_unit(name="丙镇", parent=county.dept)
    other_town = county.other_officer.unit
    assert other_town is not None
    officers = [
        county.officer_a,
        county.officer_b,
        make_user(role=Role.OFFICER, unit=town_c, username="off_c"),
        county.other_officer,
    ]
    now = timezone.now()
    sources = [nd.source(rng, ("election", "education")[i % 2]) for i in range(n_sources)]
    texts = list(sources)
    edits = list(nd.EDITS)
    for i in range(2 * n_sources):
        texts.append(nd.variant(rng, sources[i % n_sources], edits[i % len(edits)]))
    rng.shuffle(texts)
    items = []
    kind = category()
    for i, text in enumerate(texts):
        officer = officers[i % len(officers)]
        unit = officer.unit
        assert unit is not None
        submitted = None if i % 9 == 4 else now - datetime.timedelta(hours=rng.randrange(240))
        if i % 11 == 3 and items:  # submitted at the same moment as another item
            submitted = items[-1].submitted_at
        items.append(
            Item(
                unit=unit,
                department_id=unit.department_id,
                created_by=officer,
                title=text.title[:200],
                body=text.body,
                category=kind,
                state=State.DRAFT if submitted is None else State.SUBMITTED,
                submitted_at=submitted,
            )
        )
    return Item.objects.bulk_create(items)


def snapshot() -> dict[str, Any]:
    return {
        "entries": sorted(
            (pk, text, bytes(sig), novelty, nearest)
            for pk, text, sig, novelty, nearest in DuplicateSignature.objects.values_list(
                "item_id", "text", "signature", "novelty", "nearest_id"
            )
        ),
        "bands": sorted(LshBand.objects.values_list("item_id", "key", "paragraph")),
        "pairs": sorted(
            SimilarPair.objects.values_list(
                "item_id", "other_id", "similarity", "containment", "score", "flagged", "same_event"
            )
        ),
    }


def one_by_one(items: list[Item]) -> None:
    """The per-item path: every entry, then ``duplicates.index_item`` on each item in id order
    (what saving each item again would do)."""
    for item in items:
        duplicates._write_entry(item.pk, duplicates.Entry.of(item.title, item.body))
    for item in sorted(items, key=lambda i: i.pk):
        duplicates.index_item(item)


def band_constraints() -> dict[str, Any]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, LshBand._meta.db_table)


def key_index_exists() -> bool:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, LshBand._meta.db_table)
    return any(
        c["index"] and c["columns"] == list(rebuild.KEY_COLUMNS) for c in constraints.values()
    )


def wipe() -> None:
    SimilarPair.objects.all().delete()
    LshBand.objects.all().delete()
    DuplicateSignature.objects.all().delete()


@pytest.mark.parametrize(
    "limits",
    [
        {},
        # Tight limits: the candidate and window caps cut, ties included, and many weak
        # same-event pairs are kept.
        {"CANDIDATE_LIMIT": 2, "EVENT_WINDOW_LIMIT": 3, "EVENT_MIN": 0.03, "ESTIMATE_MIN": 0.05},
        # The same-event partners cut to the closest one (ties: the newest).
        {"EVENT_PARTNER_LIMIT": 1, "EVENT_MIN": 0.03, "ESTIMATE_MIN": 0.05},
        # The candidates ranked by three sorted keys, as for a corpus too large for one key.
        {"SORT_KEY_LIMIT": 0, "CANDIDATE_LIMIT": 2, "ESTIMATE_MIN": 0.05},
        # Each shingled text dropped as soon as another is made (the kept ones' eviction).
        {"SHINGLED_KEPT_BYTES": 1},
    ],
    ids=["defaults", "tight-limits", "one-event-partner", "three-key-ranking", "one-kept"],
)
def test_bulk_rebuild_equals_indexing_each_item(
    county: County, monkeypatch: pytest.MonkeyPatch, limits: dict[str, Any]
) -> None:
    for name, value in limits.items():
        monkeypatch.setattr(pairing if hasattr(pairing, name) else duplicates, name, value)
    items = corpus(county)
    one_by_one(items)
    expected = snapshot()
    assert any(p[5] for p in expected["pairs"]), "the corpus has flagged pairs"
    assert any(p[6] for p in expected["pairs"]), "the corpus has same-event pairs"
    assert any(e[3] is not None and e[3] < 0.5 for e in expected["entries"])

    wipe()  # an empty band table: the first pass runs without the key index, then builds it
    schema = band_constraints()
    result = rebuild.reindex(batch_size=7)
    assert result.items == len(items) and result.entries_written == len(items)
    assert snapshot() == expected
    assert key_index_exists()
    assert band_constraints() == schema  # PostgreSQL: the item index and foreign key are back

    # Run again over a current index: nothing rewritten, the same result.
    again = rebuild.reindex(batch_size=5)
    assert again.entries_written == 0
    assert snapshot() == expected


def test_worker_processes_build_the_same_index_as_one_process(county: County) -> None:
    items = corpus(county, n_sources=5, seed="parallel")
    SearchDocument.objects.all().delete()
    one_by_one(items)
    serial = snapshot()
    assert any(p[5] for p in serial["pairs"]) and any(p[6] for p in serial["pairs"])
    wipe()
    index.reindex(batch_size=4, workers=1)
    rebuild.reindex(batch_size=4, workers=1)
    expected = snapshot(), sorted(SearchDocument.objects.values_list("item_id", "tokens"))
    assert expected[0] == serial  # pairs and novelty as indexing each item gives them
    wipe()
    SearchDocument.objects.all().delete()
    seen: list[int] = []
    text = index.reindex(batch_size=4, workers=2, progress=seen.append)
    dup = rebuild.reindex(batch_size=4, workers=2, progress=seen.append)
    assert (snapshot(), sorted(SearchDocument.objects.values_list("item_id", "tokens"))) == expected
    assert text.written == dup.entries_written == dup.items == len(expected[1])
    assert sum(seen) == 3 * dup.items  # the progress bar: one full-text and two duplicate passes


def test_an_interrupted_first_full_text_build_gets_its_backend_index_back(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = corpus(county, n_sources=2, seed="fts")
    SearchDocument.objects.all().delete()
    write = index._write_documents
    calls: list[int] = []

    def fail_second(computed: list[tuple[int, str]], *, first: bool = False) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        return write(computed, first=first)

    monkeypatch.setattr(index, "_write_documents", fail_second)
    with pytest.raises(RuntimeError):
        index.reindex(batch_size=2)
    monkeypatch.undo()
    loaded = sorted(SearchDocument.objects.values_list("item_id", flat=True))
    if connection.vendor == "postgresql":  # the first batch: a department's newest two
        department = min(item.department_id for item in items)
        mine = sorted(item.pk for item in items if item.department_id == department)
        assert loaded == mine[-2:]
    else:  # in id order
        assert loaded == sorted(item.pk for item in items)[:2]
    first = Item.objects.get(pk=loaded[0])
    assert first.pk in index.search_ids(first.title)  # loaded before the failure
    assert backend_index_exists()
    extra = make_item(officer=county.officer_a, title="中断之后新增的信息")  # indexed on save
    assert index.search_ids("中断之后新增") == [extra.pk]
    index.reindex(batch_size=2)  # no longer a first build: the rest, row by row
    assert SearchDocument.objects.count() == len(items) + 1
    assert items[-1].pk in index.search_ids(items[-1].title)


def backend_index_exists() -> bool:
    """The FTS5 insert trigger (SQLite) or the GIN index (PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_doc_ai'")
        else:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'search_doc_scope_gin'")
        return cursor.fetchone() is not None


def test_bulk_rebuild_repairs_a_damaged_index(county: County) -> None:
    items = corpus(county, n_sources=6, seed="repair")
    one_by_one(items)
    expected = snapshot()
    victim, other = items[3], items[4]
    LshBand.objects.filter(item_id=victim.pk).delete()
    DuplicateSignature.objects.filter(item_id=other.pk).update(text="被改坏的文本", novelty=0.0)
    SimilarPair.objects.filter(item_id=items[0].pk).delete()
    result = rebuild.reindex(batch_size=4)
    assert result.entries_written == 2
    assert snapshot() == expected


def test_fast_band_keys_and_estimates_equal_the_definitions() -> None:
    rng = random.Random(5)
    for _ in range(200):
        values = [rng.randrange(2**32) for _ in range(sh.NUM_PERM)]
        other = [v if rng.random() < 0.3 else rng.randrange(2**32) for v in values]
        assert sh.doc_keys(values) == [
            sh._band_key(1, band, values[band * sh.DOC_ROWS : (band + 1) * sh.DOC_ROWS])
            for band in range(sh.DOC_BANDS)
        ]
        assert sh.paragraph_keys(values) == [
            sh._band_key(2, band, values[band * sh.PARA_ROWS : (band + 1) * sh.PARA_ROWS])
            for band in range(sh.PARA_BANDS)
        ]
        fast = sh.estimated_similarity_int(
            sh.packed_int(sh.pack(values)), sh.packed_int(sh.pack(other))
        )
        assert fast == sh.estimated_similarity(values, other)


def test_an_interrupted_first_build_gets_its_key_index_back(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus(county, n_sources=3, seed="interrupted")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(rebuild, "_entries_pass", fail)
    with pytest.raises(RuntimeError):
        rebuild.reindex()
    assert key_index_exists()
    schema = band_constraints()
    rebuild._drop_for_bulk()  # as a killed process would leave them
    assert not key_index_exists()
    monkeypatch.undo()
    rebuild.reindex()  # a later run puts them back whatever happened
    assert key_index_exists()
    assert band_constraints() == schema


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_rebuild_leaves_the_planner_statistics_of_the_band_table(county: County) -> None:
    corpus(county, n_sources=3, seed="analyze")
    rebuild.reindex()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stats WHERE tablename = %s AND attname = 'key'",
            [LshBand._meta.db_table],
        )
        assert cursor.fetchone()[0] == 1  # the planner knows how selective a key is


# Texts whose tokens the workers' vector covers (Han, Latin words, numbers, Traditional
# script, one lexeme more than ``MAX_POSITIONS`` times) and those it leaves to the server
# (letter-digit mixes the parser cuts, other scripts, 〇, more than ``MAX_POSITION`` tokens).
VECTOR_TEXTS = [
    ("换届工作会议", "2025年县委组织部召开换届工作会议，abc 与 ABC 同为一词。"),
    ("換屆選舉", "繁體：基層組織建設。\n" + "党建" * 300),
    ("混合", "covid19 疫情；5g 基站 1e5x 参数"),
    ("外文", "café Ünïcode カタカナ 한국어 〇一二"),
    ("长文", "基层组织建设" * 3000),
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tsvector is PostgreSQL's")
def test_the_vectors_a_rebuild_gives_are_the_servers_own(county: County) -> None:
    items = [make_item(officer=county.officer_a, title=t, body=b) for t, b in VECTOR_TEXTS]
    SearchDocument.objects.all().delete()
    given = parallel.tokens_of(
        [(i.pk, i.title, i.keywords, i.body, []) for i in items], vectors=True
    )
    assert [v is not None for _pk, _t, v in given] == [True, True, False, False, False]
    index.reindex(batch_size=2, workers=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE vector IS DISTINCT FROM"
            " to_tsvector('simple', tokens)) FROM search_searchdocument"
        )
        assert cursor.fetchone() == (len(items), 0)
        # Outside a rebuild's session the trigger computes the vector whatever is given.
        cursor.execute(
            "UPDATE search_searchdocument SET tokens = 'x y', vector = 'z:1' WHERE item_id = %s",
            [items[0].pk],
        )
        cursor.execute(
            "SELECT vector::text FROM search_searchdocument WHERE item_id = %s", [items[0].pk]
        )
        assert cursor.fetchone()[0] == "'x':1 'y':2"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the straight COPY is PostgreSQL's")
def test_a_rebuild_copies_new_signatures_and_upserts_a_batch_an_items_save_indexed_meanwhile(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entries pass copies the signatures of a batch with no entries straight into their
    table; an item whose own save wrote its entry between the batch's read and that copy makes
    the copy fail as a whole, and the batch is upserted instead: the same index as indexing
    each item."""
    items = corpus(county, n_sources=4, seed="copy")
    one_by_one(items)
    expected = snapshot()
    wipe()
    write, copy = rebuild.write_entries, rebuild._copy_signatures
    copied: list[bool] = []

    def save_meanwhile(changed: list[Any], *, first: bool = False) -> None:
        if len(copied) == 1:  # the second batch: its first item's entry is written now
            item = Item.objects.get(pk=changed[0][0])
            duplicates._write_entry(item.pk, duplicates.Entry.of(item.title, item.body))
        write(changed, first=first)

    def record(rows: list[tuple[Any, ...]]) -> bool:
        copied.append(copy(rows))
        return copied[-1]

    monkeypatch.setattr(rebuild, "write_entries", save_meanwhile)
    monkeypatch.setattr(rebuild, "_copy_signatures", record)
    with CaptureQueriesContext(connection) as queries:
        result = rebuild.reindex(batch_size=5)
    assert copied[:3] == [True, False, True] and all(copied[2:])
    # Only the batch the save wrote into deletes bands (the copied ones have none to delete).
    batch_delete = 'DELETE FROM "search_lshband" WHERE item_id IN ('
    deletes = [q["sql"] for q in queries if q["sql"].startswith(batch_delete)]
    assert len(deletes) == 1 and f"({items[5].pk}," in deletes[0]
    assert result.entries_written == len(items)
    assert snapshot() == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM and all-visible pages")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rebuild_outside_a_transaction_leaves_its_tables_all_visible(county: County) -> None:
    """``xinbao reindex`` runs outside a transaction: its bulk loads end with a vacuum, so the
    pages are marked all-visible at once (the checks' and the windows' index-only reads) rather
    than when autovacuum comes by — the load's commits were asynchronous, and are put on disk
    first."""
    corpus(county, n_sources=2, seed="vacuum")
    SearchDocument.objects.all().delete()
    wipe()
    index.reindex(batch_size=4)
    rebuild.reindex(batch_size=4)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relallvisible = relpages AND relpages > 0 FROM pg_class"
            " WHERE relname IN ('search_searchdocument', 'search_lshband') ORDER BY relname"
        )
        assert cursor.fetchall() == [("search_lshband", True), ("search_searchdocument", True)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a heap's physical row order")
def test_a_first_full_text_build_writes_each_departments_entries_together(county: County) -> None:
    items = corpus(county)
    departments = {item.department_id for item in items}
    assert len(departments) == 2
    # In id order the two departments alternate (the corpus deals items round its officers).
    by_id = [item.department_id for item in sorted(items, key=lambda i: i.pk)]
    assert sum(a != b for a, b in itertools.pairwise(by_id)) > 10
    with connection.cursor() as cursor:  # new storage, as a new installation's (no free space)
        cursor.execute("TRUNCATE search_searchdocument")

    index.reindex(batch_size=4, workers=1)

    with connection.cursor() as cursor:
        cursor.execute("SELECT department_id, item_id FROM search_searchdocument ORDER BY ctid")
        rows = cursor.fetchall()
    assert sorted(pk for _d, pk in rows) == sorted(item.pk for item in items)
    physical = [department for department, _pk in rows]
    assert sum(a != b for a, b in itertools.pairwise(physical)) == 1
    for department in departments:  # newest first within each, as the search windows read them
        ids = [pk for d, pk in rows if d == department]
        assert ids == sorted(ids, reverse=True)


def test_the_pairs_pass_keeps_shingled_texts_within_its_byte_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random("kept")
    sources = [nd.source(rng, "election") for _ in range(4)]
    texts = sources + [nd.variant(rng, s, "insert") for s in sources]
    rows = [(i + 1, t.title, t.body, [], None, 0) for i, t in enumerate(texts)]
    at = timezone.now()
    entries = [entry for entry in parallel.entries_of(rows) if entry is not None]

    def views(budget: int) -> tuple[Any, pairing.Corpus]:
        monkeypatch.setattr(pairing, "SHINGLED_KEPT_BYTES", budget)
        corpus = pairing.Corpus()
        for i, (pk, text, signature, keys, paragraphs) in enumerate(entries):
            meta = (1, 1 + i % 2, at + datetime.timedelta(hours=i))
            corpus.add(pk, meta, text, signature, (keys, paragraphs))
        corpus.freeze()
        return [corpus.view([p]) for p in range(len(texts))], corpus

    unbounded, _ = views(2**62)
    budget = 2 * max(len(entry[1].encode()) for entry in entries)
    bounded, corpus = views(budget)
    assert bounded == unbounded
    assert any(pairs for pairs, _n in unbounded), "the corpus has pairs"
    kept = corpus._shingled
    assert 1 <= len(kept) < len(texts)
    assert corpus._shingled_bytes == sum(size for _s, size in kept.values()) <= budget
