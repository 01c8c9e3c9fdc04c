from __future__ import annotations

import datetime
import json
import random
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from bench import near_duplicates as nd
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import County
from tests.factories import PASSWORD, make_item, make_unit, make_user
from tests.items.test_query_plans import statement_plan
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Item, ItemEvent, State
from xinbao.items.services import ItemData, item_update, transition
from xinbao.orgs.models import Role, User
from xinbao.scoring import ledger
from xinbao.search import duplicates, rebuild
from xinbao.search.models import DuplicateSignature, ItemMerge, LshBand, SimilarPair
from xinbao.search.queries import (
    novelty_of,
    same_event_clusters,
    similar_items,
    similar_to_text,
)
from xinbao.search.services import cluster_merge

THEMES = ("election", "education")


def add(officer: User, src: nd.Source, *, submit: bool = False) -> Item:
    item = make_item(officer=officer, title=src.title, body=src.body)
    if submit:
        item = transition(item=item, actor=officer, action="submit")
    return item


def flagged_ids(src: nd.Source) -> list[int]:
    return [m.item_id for m in duplicates.check_text(src.title, src.body) if m.measures.flagged]


def pair_ids(item: Item) -> set[int]:
    return set(SimilarPair.objects.filter(item=item, flagged=True).values_list("other", flat=True))


@pytest.mark.parametrize("edit", list(nd.EDITS))
def test_every_kind_of_edit_is_found_as_a_near_duplicate_of_its_source(
    county: County, edit: str
) -> None:
    rng = random.Random(f"edit-{edit}")
    sources = [nd.source(rng, THEMES[i % 2]) for i in range(8)]
    items = [add(county.officer_a, src, submit=True) for src in sources]
    for src, item in zip(sources, items, strict=True):
        copy = nd.variant(rng, src, edit)
        assert item.pk in flagged_ids(copy), (edit, copy.title)
    # Saved as an item of another unit, the copy is paired with its source both ways round.
    copy = add(county.officer_b, nd.variant(rng, sources[0], edit))
    assert items[0].pk in pair_ids(copy)
    assert copy.pk in pair_ids(items[0])


def test_items_on_the_same_topic_that_are_not_copies_are_not_flagged(county: County) -> None:
    rng = random.Random("same-topic")
    for i in range(30):
        add(county.officer_a if i % 2 else county.officer_b, nd.source(rng, "election"))
    assert not SimilarPair.objects.filter(flagged=True).exists()
    assert DuplicateSignature.objects.count() == 30


def test_an_item_never_matches_itself_nor_its_earlier_text_after_return(county: County) -> None:
    rng = random.Random("self")
    src = nd.source(rng, "election")
    item = add(county.officer_a, src, submit=True)
    item = transition(item=item, actor=county.editor, action="return", comment="请补充数据")
    edited = nd.variant(rng, src, "insert")
    item = item_update(
        item=item,
        actor=county.officer_a,
        data=ItemData(title=edited.title, body=edited.body, category=item.category),
        version=item.version,
    )
    item = transition(item=item, actor=county.officer_a, action="resubmit")
    assert item.revisions.count() == 2
    # Its earlier text is no entry of its own: checked against everything but itself, the
    # resubmitted text matches nothing.
    assert DuplicateSignature.objects.count() == 1
    assert duplicates.check_text(edited.title, edited.body, exclude_item_id=item.pk) == []
    assert item.pk in flagged_ids(edited)
    assert not SimilarPair.objects.filter(item=item).exists()
    assert novelty_of([item.pk]) == {item.pk: 1.0}


def test_similar_results_show_each_user_only_what_the_lists_show(county: County) -> None:
    rng = random.Random("perm")
    src = nd.source(rng, "education")
    draft = add(county.officer_a, src)
    text = nd.variant(rng, src, "reorder").body

    def seen(user: User | None) -> list[int]:
        return [hit.item.pk for hit in similar_to_text(user, text)]

    assert seen(county.officer_a) == [draft.pk]
    assert seen(None) == [draft.pk]
    for user in (county.officer_b, county.leader_a, county.editor, county.other_editor):
        assert seen(user) == []
    copy = add(county.officer_b, nd.variant(rng, src, "delete"))
    assert [p.other_id for p in similar_items(county.officer_a, draft)] == []  # b's draft
    assert [p.other_id for p in similar_items(county.officer_b, copy)] == []  # a's draft
    transition(item=draft, actor=county.officer_a, action="submit")
    assert seen(county.editor) == [draft.pk]
    assert seen(county.other_editor) == []
    assert [p.other_id for p in similar_items(county.editor, draft)] == []  # copy is a draft
    transition(item=copy, actor=county.officer_b, action="submit")
    transition(item=copy, actor=county.leader_b, action="approve")
    assert [p.other_id for p in similar_items(county.editor, draft)] == [copy.pk]
    assert [p.other_id for p in similar_items(county.other_editor, draft)] == []


def test_index_follows_edit_withdraw_delete_and_rebuild(county: County) -> None:
    rng = random.Random("lifecycle")
    src = nd.source(rng, "election")
    first = add(county.officer_a, src, submit=True)
    second = add(county.officer_b, nd.variant(rng, src, "mixed"))
    second = transition(item=second, actor=county.officer_b, action="submit")
    second = transition(item=second, actor=county.leader_b, action="approve")
    assert [p.other_id for p in similar_items(county.editor, first)] == [second.pk]
    # Withdrawn, the copy is a draft again: the editor no longer sees it among similar items.
    transition(item=second, actor=county.officer_b, action="withdraw")
    assert similar_items(county.editor, first) == []
    assert [p.other_id for p in similar_items(county.officer_b, second)] == []
    # Rewritten, it is no longer similar at all.
    other = nd.source(rng, "education")
    second.refresh_from_db()
    item_update(
        item=second,
        actor=county.officer_b,
        data=ItemData(title=other.title, body=other.body, category=second.category),
        version=second.version,
    )
    assert second.pk not in flagged_ids(src)
    assert not SimilarPair.objects.filter(item=first).exists()
    # A third copy, then a rebuild from nothing gives the same pairs and novelty.
    third = add(county.officer_b, nd.variant(rng, src, "traditional"), submit=False)
    before = set(SimilarPair.objects.values_list("item", "other", "flagged"))
    novelty = novelty_of([first.pk, second.pk, third.pk])
    assert before and novelty[third.pk] < 0.1  # reported after ``first``, and a copy of it
    DuplicateSignature.objects.all().delete()
    LshBand.objects.all().delete()
    SimilarPair.objects.all().delete()
    result = rebuild.reindex(batch_size=2)
    assert result.items == 3 and result.entries_written == 3
    assert set(SimilarPair.objects.values_list("item", "other", "flagged")) == before
    assert novelty_of([first.pk, second.pk, third.pk]) == novelty
    assert rebuild.reindex().entries_written == 0  # nothing changed: nothing rewritten
    # Deleted, its rows go with it.
    third.delete()
    assert not LshBand.objects.filter(item_id=third.pk).exists()
    assert not SimilarPair.objects.filter(other_id=third.pk).exists()
    assert first.pk in flagged_ids(src)


def test_novelty_is_one_minus_the_best_score_against_earlier_reports(county: County) -> None:
    rng = random.Random("novelty")
    src = nd.source(rng, "election")
    original = add(county.officer_a, src, submit=True)
    copy = add(county.officer_b, nd.variant(rng, src, "insert"))
    pair = SimilarPair.objects.get(item=copy, other=original)
    assert novelty_of([original.pk, copy.pk]) == {
        original.pk: 1.0,
        copy.pk: pytest.approx(1 - pair.score, abs=1e-4),
    }
    assert DuplicateSignature.objects.get(item=copy).nearest_id == original.pk


def index_rows(item: Item) -> tuple[object, ...]:
    pairs = SimilarPair.objects.filter(Q(item=item) | Q(other=item)).order_by("item", "other")
    signature = DuplicateSignature.objects.get(item=item)
    bands = LshBand.objects.filter(item=item).order_by("paragraph", "key")
    return (
        list(pairs.values_list("item", "other", "score", "flagged", "same_event")),
        (signature.text, bytes(signature.signature), signature.novelty, signature.nearest_id),
        list(bands.values_list("paragraph", "key")),
    )


def test_a_submission_rechecked_from_the_stored_entry_equals_a_full_recheck(
    county: County,
) -> None:
    """A workflow move does not change the text: the recheck reads the stored entry instead of
    computing it again, and must leave the index exactly as a full recheck does."""
    rng = random.Random("stored-entry")
    src = nd.source(rng, "education")
    original = add(county.officer_a, src, submit=True)
    copy = add(county.officer_b, nd.variant(rng, src, "insert"), submit=True)
    near = add(county.officer_a, nd.variant(rng, src, "delete"), submit=True)
    for item in (original, copy, near):
        item.refresh_from_db()
        from_stored = index_rows(item)
        duplicates.index_item(item)  # the full recheck: the entry computed from the text
        assert index_rows(item) == from_stored
    assert from_stored[0], "the variants were found as near-duplicates"


def same_event(county: County, rng: random.Random, *, days_apart: int = 1) -> tuple[Item, Item]:
    src = nd.source(rng, "election")
    first = add(county.officer_a, src, submit=True)
    Item.objects.filter(pk=first.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=days_apart)
    )
    report = nd.variant(rng, nd.variant(rng, src, "delete"), "insert")
    second = add(county.officer_b, report, submit=True)
    second = transition(item=second, actor=county.leader_b, action="approve")
    return first, second


def test_reports_of_one_event_from_two_units_form_a_cluster_first_reporter_first(
    county: County,
) -> None:
    first, second = same_event(county, random.Random("cluster"))
    clusters = same_event_clusters(county.editor).shown
    assert [[item.pk for item in c.items] for c in clusters] == [[first.pk, second.pk]]
    assert clusters[0].first.pk == first.pk
    assert same_event_clusters(county.officer_a).total == 0
    assert same_event_clusters(county.other_editor).total == 0


def test_clusters_are_found_among_the_newest_waiting_items(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A county's backlog must not make every inbox view read all its pairs: clusters are
    looked for among the newest ``CLUSTER_ITEM_LIMIT`` waiting items."""
    rng = random.Random("newest")
    old = same_event(county, rng)
    new = same_event(county, rng)
    monkeypatch.setattr("xinbao.search.queries.CLUSTER_ITEM_LIMIT", 2)
    assert [[i.pk for i in c.items] for c in same_event_clusters(county.editor).shown] == [
        [new[0].pk, new[1].pk]
    ]
    monkeypatch.setattr("xinbao.search.queries.CLUSTER_ITEM_LIMIT", 4)
    assert same_event_clusters(county.editor).total == 2
    assert old[0].pk in {c.first.pk for c in same_event_clusters(county.editor).shown}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner (PostgreSQL: arrays)")
def test_cluster_pairs_are_sought_by_one_end_only(county: County) -> None:
    """Both ends of a pair among the waiting ids: SQLite sought the pair index (item_id,
    other_id) with every pair of the two lists (500 × 500 probes, 18 ms at 1,000,000 items);
    the other end is tested on the rows found."""
    same_event(county, random.Random("plan"))
    with CaptureQueriesContext(connection) as captured:
        assert same_event_clusters(county.editor).total == 1
    [pair_sql] = [q["sql"] for q in captured.captured_queries if "search_similarpair" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + pair_sql)
        plan = " ".join(row[-1] for row in cursor.fetchall())
    assert "search_similarpair" in plan
    assert "other_id=?" not in plan, plan


def test_a_check_reads_the_band_rows_from_the_key_index_alone(county: County) -> None:
    """The candidates' read is answered by the key index, which holds every column it needs
    (search/0010): PostgreSQL plans an index-only scan, SQLite a covering index — the band rows
    themselves, scattered over a large table, are never visited."""
    rng = random.Random("covering")
    src = nd.source(rng, "election")
    add(county.officer_a, src, submit=True)
    entry = duplicates.Entry.of(src.title, src.body)
    with CaptureQueriesContext(connection) as queries:
        found = duplicates.candidates(entry)
    assert found, "the item's own text shares its keys"
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        # A few rows: a bitmap read would do as well; at scale the planner picks the index
        # alone on its own (bench_duplicates: "Index Only Scan … Heap Fetches: 0").
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        assert any("Index Only Scan using search_lsh_key_cover_idx" in line for line in plan), plan
    else:
        plan = statement_plan(sql)
        assert any("USING COVERING INDEX search_lsh_key_cover_idx" in line for line in plan), plan


def test_an_item_is_paired_with_its_closest_same_event_reports_only(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One event reported by many units: each report keeps ``EVENT_PARTNER_LIMIT`` same-event
    partners (the closest), not one pair per earlier report."""
    monkeypatch.setattr(duplicates, "EVENT_PARTNER_LIMIT", 1)
    rng = random.Random("partners")
    src = nd.source(rng, "election")
    first = add(county.officer_a, src, submit=True)
    town_c = make_unit(name="丙镇", parent=county.dept)
    second = add(
        make_user(role=Role.OFFICER, unit=town_c), nd.variant(rng, src, "delete"), submit=True
    )
    third = add(county.officer_b, src, submit=True)  # the same text as the first report
    third = transition(item=third, actor=county.leader_b, action="approve")
    partners = SimilarPair.objects.filter(item=third, same_event=True).values_list(
        "other", flat=True
    )
    assert list(partners) == [first.pk]  # the closest of the two (identical text)
    assert SimilarPair.objects.filter(item=second, same_event=True).exists()
    assert same_event_clusters(county.editor).total == 1  # all three, joined through pairs


def test_reports_far_apart_in_time_are_not_one_event(county: County) -> None:
    _first, second = same_event(county, random.Random("apart"), days_apart=10)
    transition(item=second, actor=county.officer_b, action="withdraw")
    transition(item=second, actor=county.officer_b, action="submit")
    transition(item=second, actor=county.leader_b, action="approve")
    assert not SimilarPair.objects.filter(same_event=True).exists()
    assert same_event_clusters(county.editor).total == 0


def test_merge_adopts_one_item_with_joint_credit_for_the_merged_units(county: County) -> None:
    first, second = same_event(county, random.Random("merge"))
    target = cluster_merge(actor=county.editor, into=first, others=[second])
    second.refresh_from_db()
    assert target.state == State.ADOPTED
    assert second.state == State.DECLINED
    assert ItemEvent.objects.get(item=second, action="decline").comment.startswith("与《")
    assert ItemMerge.objects.get(item=second).into_id == first.pk
    assert list(target.co_units.values_list("pk", flat=True)) == [county.town_b.pk]
    record = AuditRecord.objects.get(action="item.merge")
    assert record.object_id == str(first.pk) and str(second.pk) in json.dumps(record.changes)
    # The assessment's joint split reads the co-reporting units: the merged unit gets a share.
    lines = ledger._split(
        target,
        ledger._co_units(county.dept),
        {"joint_split": "equal"},
        Decimal("10"),
        "采用",
        "entry:1",
        timezone.localdate(),
        "adoption.periodical.county",
        "adoption",
        "county",
    )
    assert {(line.unit_id, line.points) for line in lines} == {
        (county.town_a.pk, Decimal("5.00")),
        (county.town_b.pk, Decimal("5.00")),
    }
    assert same_event_clusters(county.editor).total == 0


def test_merge_is_refused_for_non_editors_and_for_handled_items(county: County) -> None:
    from xinbao.items.errors import InvalidInput, NotAllowed

    first, second = same_event(county, random.Random("refuse"))
    with pytest.raises(NotAllowed):
        cluster_merge(actor=county.other_editor, into=first, others=[second])
    with pytest.raises(NotAllowed):
        cluster_merge(actor=county.officer_a, into=first, others=[second])
    with pytest.raises(InvalidInput):
        cluster_merge(actor=county.editor, into=first, others=[first])
    transition(item=second, actor=county.editor, action="decline", comment="不采用")
    with pytest.raises(InvalidInput):
        cluster_merge(actor=county.editor, into=first, others=[second])
    first.refresh_from_db()
    assert first.state == State.SUBMITTED  # nothing changed
    assert not ItemMerge.objects.exists()


def test_similar_command_prints_json_most_similar_first_for_that_user(
    county: County, tmp_path: Path
) -> None:
    rng = random.Random("command")
    src = nd.source(rng, "election")
    exact = add(county.officer_a, src)
    near = add(county.officer_a, nd.variant(rng, src, "mixed"))
    add(county.officer_b, src)  # another unit's draft: not for officer_a
    path = tmp_path / "text.txt"
    path.write_text(src.title + "\n" + src.body, encoding="utf-8")
    out = StringIO()
    call_command(
        "similar", "--text-file", str(path), "--as", "off_a", "--format", "json", stdout=out
    )
    rows = json.loads(out.getvalue())
    assert [row["id"] for row in rows] == [exact.pk, near.pk]
    assert rows[0]["similarity"] == 1.0 and rows[0]["containment"] == 1.0
    assert set(rows[0]) == {"id", "title", "similarity", "containment"}
    assert rows[1]["similarity"] < 1.0


def test_reindex_command_rebuilds_the_duplicate_index_too(county: County) -> None:
    rng = random.Random("reindex")
    src = nd.source(rng, "election")
    add(county.officer_a, src)
    add(county.officer_b, nd.variant(rng, src, "reorder"))
    LshBand.objects.all().delete()
    SimilarPair.objects.all().delete()
    out, err = StringIO(), StringIO()
    call_command("reindex", stdout=out, stderr=err)
    assert "查重索引" in out.getvalue() and "相似信息 1 对" in out.getvalue()
    assert "重建查重索引" in err.getvalue()  # the progress bar
    assert SimilarPair.objects.count() == 2


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_passage_view_shows_shared_paragraphs_side_by_side(county: County, client: Client) -> None:
    rng = random.Random("passages")
    src = nd.source(rng, "election")
    first = add(county.officer_a, src, submit=True)
    copy = nd.variant(rng, src, "copied_paragraph")
    second = add(county.officer_b, copy, submit=True)
    transition(item=second, actor=county.leader_b, action="approve")
    login(client, county.editor)
    response = client.get(reverse("search:passages", args=[second.pk, first.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    copied = max(src.paragraphs, key=len)
    assert html.count("<mark>" + copied[:20]) == 2  # on both sides
    assert "100%" in html
    login(client, county.other_editor)
    assert client.get(reverse("search:passages", args=[second.pk, first.pk])).status_code == 404


def test_review_page_lists_similar_items_and_novelty(county: County, client: Client) -> None:
    rng = random.Random("review")
    src = nd.source(rng, "election")
    first = add(county.officer_a, src, submit=True)
    second = add(county.officer_a, nd.variant(rng, src, "delete"), submit=True)
    login(client, county.editor)
    html = client.get(reverse("items:edit", args=[second.pk])).content.decode()
    assert 'id="similar-items"' in html
    assert reverse("search:passages", args=[second.pk, first.pk]) in html
    assert "新颖度" in html


def test_officer_is_warned_before_submitting_a_copy_of_a_reported_item(
    county: County, client: Client
) -> None:
    rng = random.Random("warning")
    src = nd.source(rng, "election")
    own = add(county.officer_a, src, submit=True)
    draft = add(county.officer_a, nd.variant(rng, src, "insert"))
    login(client, county.officer_a)
    html = client.get(reverse("items:edit", args=[draft.pk])).content.decode()
    assert "与已报送信息高度相似" in html and f'data-item="{own.pk}"' in html
    # Another unit's copy: warned, but shown nothing of the other unit's item.
    other = add(county.officer_b, nd.variant(rng, src, "reorder"))
    login(client, county.officer_b)
    html = client.get(reverse("items:edit", args=[other.pk])).content.decode()
    assert "与已报送信息高度相似" in html and f'data-item="{own.pk}"' not in html
    fresh = add(county.officer_b, nd.source(rng, "education"))
    html = client.get(reverse("items:edit", args=[fresh.pk])).content.decode()
    assert "与已报送信息高度相似" not in html


def test_inbox_shows_clusters_and_merges_them(county: County, client: Client) -> None:
    first, second = same_event(county, random.Random("inbox"))
    login(client, county.editor)
    html = client.get(reverse("items:inbox")).content.decode()
    assert 'id="event-clusters"' in html and "首报" in html
    response = client.post(
        reverse("search:merge"), {"into": first.pk, "items": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == State.ADOPTED
    assert ItemMerge.objects.filter(item=second, into=first).exists()
    login(client, county.other_editor)
    response = client.post(reverse("search:merge"), {"into": first.pk, "items": [second.pk]})
    assert response.status_code in (403, 404)


def queries_of(client: Client, url: str) -> int:
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_review_page_query_count_does_not_grow_with_similar_items(
    county: County, client: Client
) -> None:
    rng = random.Random("count")
    src = nd.source(rng, "election")
    item = add(county.officer_a, src, submit=True)
    add(county.officer_a, nd.variant(rng, src, "reorder"), submit=True)
    login(client, county.editor)
    url = reverse("items:edit", args=[item.pk])
    one = queries_of(client, url)
    for edit in ("insert", "delete", "traditional", "mixed"):
        add(county.officer_a, nd.variant(rng, src, edit), submit=True)
    assert len(similar_items(county.editor, item)) == 5
    assert queries_of(client, url) == one


def test_inbox_lists_the_newest_clusters_and_counts_them_all(
    county: County, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random("inbox-shown")
    old = same_event(county, rng)
    new = same_event(county, rng)
    found = same_event_clusters(county.editor, show=1)
    assert found.total == 2
    assert [[i.pk for i in c.items] for c in found.shown] == [[new[0].pk, new[1].pk]]
    assert [c.units for c in found.shown] == [["甲镇", "乙镇"]]
    monkeypatch.setattr(same_event_clusters, "__kwdefaults__", {"show": 1})
    html = login(client, county.editor).get(reverse("items:inbox")).content.decode()
    assert "撞车提示:2 组信息" in html
    assert f'data-item="{new[0].pk}"' in html and f'data-item="{old[0].pk}"' not in html
    assert "以上是最新的 1 组" in html


def test_inbox_query_count_does_not_grow_with_clusters(county: County, client: Client) -> None:
    rng = random.Random("inbox-count")
    same_event(county, rng)
    login(client, county.editor)
    url = reverse("items:inbox")
    one = queries_of(client, url)
    same_event(county, rng)
    same_event(county, rng)
    assert same_event_clusters(county.editor).total == 3
    assert queries_of(client, url) == one


def queries_per_index_item(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """From now on, for each call of ``duplicates.index_item`` (as the signals make it): its
    queries, and whether it was the recheck from the stored entry (a workflow move)."""
    calls = []
    index_item = duplicates.index_item

    def counted(item: Item, *args: object, **kwargs: bool) -> list[duplicates.Match]:
        with CaptureQueriesContext(connection) as captured:
            matches = index_item(item, *args, **kwargs)  # type: ignore[arg-type]
        calls.append((len(captured), bool(kwargs.get("text_unchanged"))))
        return matches

    monkeypatch.setattr(duplicates, "index_item", counted)
    return calls


def test_the_near_duplicate_check_of_a_save_and_a_submission_takes_a_fixed_number_of_queries(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the number of similar items, on SQLite and PostgreSQL alike. A new item's save:
    the pairs' lock, the candidates with their entries, its pairs, its entry, its bands (5;
    nothing of its own to read or delete). Its submission, from the stored entry: the lock,
    the entry, the candidates, the same-event window, its stored pairs, the changed ones
    deleted and inserted, its novelty (8; 6 when no pair changed)."""
    rng = random.Random("query-count")
    src = nd.source(rng, "election")
    reported = [
        add(county.officer_b, nd.variant(rng, src, "insert"), submit=True),
        add(county.officer_b, nd.variant(rng, src, "reorder"), submit=True),
        add(county.other_officer, nd.variant(rng, src, "traditional"), submit=True),
    ]
    for item in reported[:2]:
        transition(item=item, actor=county.leader_b, action="approve")
    calls = queries_per_index_item(monkeypatch)
    copy = add(county.officer_a, nd.variant(rng, src, "delete"))
    assert calls == [(5, False)]
    assert pair_ids(copy) == {item.pk for item in reported}
    copy = transition(item=copy, actor=county.officer_a, action="submit")
    assert calls[1:] == [(8, True)]
    # The two reports of the other township of the county became the same event.
    assert SimilarPair.objects.filter(item=copy, same_event=True).count() == 2
    duplicates.index_item(copy, text_unchanged=True)
    assert calls[2:] == [(6, True)]
