"""Benchmark: near-duplicate detection (MinHash LSH in the database) against the naive all-pairs
comparison it replaces.

Builds (once, into the database named by DATABASE_URL, default an SQLite file under /tmp) an
installation of ``--counties`` counties with the demo county's townships and departments and N
items: distinct items written by ``bench/near_duplicates.py`` from the demo county's vocabulary
(each on one of its 13 themes, one in ten in Traditional script), and ``--dup-share`` of them
near-duplicates of an earlier item made by one of its edits (reordered paragraphs, inserted and
deleted sentences, changed dates and names, s2t conversion, about 20 % mixed edits, a copied
≥150-character paragraph inside a new item), by another unit of the same county. Items are
bulk-inserted (no signals), so the index is built by ``search.rebuild.reindex`` — what
``xinbao reindex`` runs: its time and the index size are reported.

Then:

- **quality**: every stored flagged pair (``SimilarPair.flagged``) is right when its two items
  descend from one distinct item; recall is the share of planted near-duplicates whose source is
  among their flagged pairs, per edit and overall; precision the share of flagged pairs that are
  right;
- **check at submission**: for ``--queries`` new texts (fresh near-duplicates of random items of
  each edit, and fresh distinct items), ``duplicates.check`` (candidates from the band table,
  confirmed exactly: what an item's save and submission run), then the same plus the passage
  view of the most similar item (``search.passages.compare``); p50 / p95;
- **baseline**: the naive check of a text against every item (exact measures over all stored
  texts, no index) for ``--naive-queries`` of the same texts, in the same run: its p50, the
  ratio, and whether it found anything the index missed (recall of the index against it).

Each new text's check is its first: the pages it reads are cold unless an earlier text read
them. ``--prewarm`` reads the key index into memory first (a server in use); ``--query-seed``
gives other texts (an A/B on one database).

    .venv/bin/python bench/bench_duplicates.py --items 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_bench_dup \\
        .venv/bin/python bench/bench_duplicates.py --items 100000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/xinbao_bench_duplicates.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")

import django

django.setup()

from bench import near_duplicates as nd
from bench import pg_backend
from bench.bench_lists import build_tree, demo_county_specs
from django.db import connection, transaction
from django.utils import timezone

from xinbao.items.models import Category, Item, State
from xinbao.search import duplicates, parallel, rebuild
from xinbao.search import shingles as sh
from xinbao.search.models import DuplicateSignature, LshBand, SimilarPair
from xinbao.search.passages import compare

EDITS = list(nd.EDITS)
# Ground truth, kept beside the database: item id → (root item id, edit or "").
TRUTH_SUFFIX = ".truth.tsv"


def truth_path() -> Path:
    """Beside an SQLite database file; under the temporary directory for PostgreSQL."""
    name = Path(str(connection.settings_dict["NAME"]))
    folder = name.parent if connection.vendor == "sqlite" else Path(tempfile.gettempdir())
    return folder / f"{name.name}{TRUTH_SUFFIX}"


def build(n_items: int, n_counties: int, dup_share: float) -> dict[int, tuple[int, str]]:
    if Item.objects.exists() and truth_path().exists():
        print(f"reusing {Item.objects.count()} items already in the database")
        return read_truth()
    rng = random.Random(23)
    t0 = time.perf_counter()
    with transaction.atomic():
        tree = build_tree(
            top=("LJ", "澜江市委组织部", "city"), counties=n_counties, specs=demo_county_specs()
        )
        units = tree.units
        officer_by_unit = tree.officer_by_unit
        categories = list(Category.objects.all())
        now = timezone.now()
        roots: list[tuple[int, str]] = []  # position → (root position, edit)
        batch: list[Item] = []
        generated = nd.corpus(
            rng,
            n_items,
            units,
            county_of=lambda unit: unit.department_id,
            name_of=lambda unit: unit.short_name or unit.name,
            dup_share=dup_share,
        )
        for i, made in enumerate(generated):
            text, unit = made.text, made.unit
            roots.append((made.root, made.edit))
            created = nd.reported_at(now, i, n_items)
            batch.append(
                Item(
                    unit=unit,
                    department_id=unit.department_id,
                    created_by=officer_by_unit[unit.pk],
                    title=text.title[:200],
                    body=text.body,
                    category=rng.choice(categories),
                    state=State.SUBMITTED,
                    submitted_at=created,
                )
            )
            if len(batch) == 2000:
                Item.objects.bulk_create(batch)
                batch.clear()
                print(f"  {i + 1} items written", end="\r", flush=True)
        Item.objects.bulk_create(batch)
    ids = list(Item.objects.order_by("pk").values_list("pk", flat=True))
    truth = {ids[i]: (ids[root], edit) for i, (root, edit) in enumerate(roots)}
    with truth_path().open("w") as out:
        for pk, (root, edit) in truth.items():
            out.write(f"{pk}\t{root}\t{edit}\n")
    print(f"built {n_counties} counties, {len(units)} units, {n_items} items", end="")
    planted = sum(1 for _r, e in roots if e)
    print(f" ({planted} near-duplicates) in {time.perf_counter() - t0:.0f} s")
    return truth


def read_truth() -> dict[int, tuple[int, str]]:
    truth = {}
    for line in truth_path().read_text().splitlines():
        pk, root, edit = line.split("\t")
        truth[int(pk)] = (int(root), edit)
    return truth


def index_size() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN "
                "('search_duplicatesignature', 'search_lshband', 'search_lsh_key_cover_idx', "
                "'search_similarpair') GROUP BY name"
            )
            sizes = dict(cursor.fetchall())
        else:
            sizes = {}
            for table in ("search_duplicatesignature", "search_lshband", "search_similarpair"):
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = cursor.fetchone()[0]
    total = sum(sizes.values())
    parts = ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in sorted(sizes.items()))
    return f"{total / 2**20:.0f} MiB ({parts}); {LshBand.objects.count()} band rows"


def prewarm() -> None:
    """Read the band table's key index into memory (PostgreSQL's ``pg_prewarm``, into the
    operating system's page cache): the state of a server in use, whose checks keep that index
    in memory, rather than of one just restarted or just rebuilt, where each check's first
    reads of it go to the disk."""
    if connection.vendor != "postgresql":
        print("--prewarm: PostgreSQL only; SQLite reads through the page cache as it goes")
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute("SELECT pg_prewarm(%s, 'read')", [rebuild.KEY_INDEX])
        pages = cursor.fetchone()[0]
    print(
        f"prewarmed {rebuild.KEY_INDEX}: {pages} pages ({pages * 8 / 2**20:.1f} GiB) "
        f"in {time.perf_counter() - started:.1f} s"
    )


def reindex_if_needed() -> None:
    if DuplicateSignature.objects.count() == Item.objects.count():
        print(f"index present: {index_size()}")
        return
    print("building the duplicate index (search.rebuild.reindex, as `xinbao reindex`) …")
    result = rebuild.reindex(workers=parallel.default_workers())
    rate = result.items / result.seconds
    print(
        f"reindex: {result.items} items in {result.seconds:.1f} s (entries "
        f"{result.entries_seconds:.1f} s, pairs {result.seconds - result.entries_seconds:.1f} s; "
        f"{rate:.0f} items/s; "
        f"{result.pairs} flagged or same-event pairs; 1,000,000 items ≈ "
        f"{1_000_000 / rate / 60:.0f} min at this rate)"
    )
    cpu_rate = result.items / result.cpu_seconds
    print(
        f"  CPU time of this process {result.cpu_seconds:.1f} s ({cpu_rate:.0f} items/s of CPU; "
        f"1,000,000 items ≈ {1_000_000 / cpu_rate / 60:.0f} min of CPU — the wall time above "
        "also holds the waits of a machine shared with other work)"
    )
    print(f"index size: {index_size()}")


def quality(truth: dict[int, tuple[int, str]]) -> tuple[float, float]:
    flagged: dict[int, set[int]] = defaultdict(set)
    for a, b in SimilarPair.objects.filter(flagged=True).values_list("item_id", "other_id"):
        flagged[a].add(b)
    by_edit: dict[str, list[bool]] = defaultdict(list)
    for pk, (root, edit) in truth.items():
        if edit:
            by_edit[edit].append(root in flagged[pk])
    right = wrong = 0
    wrong_examples = []
    for a, others in flagged.items():
        for b in others:
            if a < b:
                if truth[a][0] == truth[b][0]:
                    right += 1
                else:
                    wrong += 1
                    wrong_examples.append((a, b))
    found = sum(sum(v) for v in by_edit.values())
    planted = sum(len(v) for v in by_edit.values())
    recall = found / planted if planted else 1.0
    precision = right / (right + wrong) if right + wrong else 1.0
    print("\n== detection quality (stored flagged pairs after the rebuild) ==")
    for edit in EDITS:
        hits = by_edit.get(edit, [])
        if hits:
            print(f"  {edit:<18} recall {sum(hits) / len(hits):.4f}  ({sum(hits)}/{len(hits)})")
    print(f"  overall recall {recall:.4f} ({found}/{planted})")
    print(f"  precision {precision:.4f} ({right} right, {wrong} wrong pairs){wrong_examples[:3]}")
    return recall, precision


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


CPU_MS: list[float] = []  # this process's CPU ms of every ``timed`` call, in order


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall ms and result of ``fn()``; its CPU ms (SQLite's work included, waits for a core on
    a shared machine not) appended to ``CPU_MS``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    CPU_MS.append((time.process_time() - c0) * 1000)
    return (time.perf_counter() - t0) * 1000, out


def query_texts(
    n: int, truth: dict[int, tuple[int, str]], seed: int = 99
) -> list[tuple[nd.Source, int | None]]:
    """Fresh texts: near-duplicates of random distinct items (each edit in turn) and, one in
    four, new distinct items; with the id of the item each copies (None for distinct ones).
    Another ``seed`` gives other texts, whose keys no earlier run has read (an A/B on one
    database: neither side finds the other's pages cached)."""
    rng = random.Random(seed)
    roots = [pk for pk, (root, edit) in truth.items() if not edit and root == pk]
    out: list[tuple[nd.Source, int | None]] = []
    for i in range(n):
        if i % 4 == 3:
            out.append((nd.source(rng, rng.choice(nd.themes())), None))
            continue
        pk = rng.choice(roots)
        item = Item.objects.get(pk=pk)
        src = nd.Source("election", item.title, item.body.split("\n"))
        out.append((nd.variant(rng, src, EDITS[i % len(EDITS)]), pk))
    return out


def naive_check(text: nd.Source) -> list[int]:
    """Exact measures against every stored text, no index: what the index replaces."""
    mine = sh.Shingled.of(sh.paragraphs_of(text.title, text.body))
    found = []
    rows = DuplicateSignature.objects.values_list("item_id", "text").iterator(chunk_size=2000)
    for pk, stored in rows:
        if sh.measure(mine, sh.Shingled.from_stored(stored)).flagged:
            found.append(pk)
    return found


def bench_checks(
    truth: dict[int, tuple[int, str]], n_queries: int, n_naive: int, seed: int = 99
) -> tuple[float, float]:
    texts = query_texts(n_queries, truth, seed)
    duplicates.check(duplicates.Entry.of(texts[0][0].title, texts[0][0].body))  # warm up
    check_ms, passage_ms, hits = [], [], 0
    check_cpu, passage_cpu = [], []
    for text, source in texts:

        def run(text: nd.Source = text) -> list[duplicates.Match]:
            entry = duplicates.Entry.of(text.title, text.body)
            return [m for m in duplicates.check(entry) if m.measures.flagged]

        ms, matches = timed(run)
        check_ms.append(ms)
        check_cpu.append(CPU_MS[-1])
        hits += source is None or source in {m.item_id for m in matches}

        def with_passages(text: nd.Source = text) -> int:
            matches = run(text)
            if not matches:
                return 0
            other = Item.objects.select_related("unit").get(pk=matches[0].item_id)
            return len(compare(Item(title=text.title, body=text.body), other).rows)

        passage_ms.append(timed(with_passages)[0])
        passage_cpu.append(CPU_MS[-1])
    total = Item.objects.count()
    print(f"\n== check at submission: {len(texts)} new texts against {total} items ==")
    print(
        f"  candidates + exact confirmation: p50 {statistics.median(check_ms):.2f} ms, "
        f"p95 {p95(check_ms):.2f} ms"
    )
    print(
        f"  with the passage view of the nearest: p50 {statistics.median(passage_ms):.2f} ms, "
        f"p95 {p95(passage_ms):.2f} ms"
    )
    print(
        f"  CPU time of this process: candidates p50 {statistics.median(check_cpu):.2f} / p95 "
        f"{p95(check_cpu):.2f} ms, with passages p50 {statistics.median(passage_cpu):.2f} / p95 "
        f"{p95(passage_cpu):.2f} ms"
    )
    print(f"  right answer (copy's source found / nothing for distinct) {hits}/{len(texts)}")

    naive_ms, agree, naive_found = [], 0, 0
    for text, _source in texts[:n_naive]:
        ms, found = timed(lambda text=text: naive_check(text))
        naive_ms.append(ms)
        entry = duplicates.Entry.of(text.title, text.body)
        indexed = {m.item_id for m in duplicates.check(entry) if m.measures.flagged}
        naive_found += len(found)
        agree += len(set(found) & indexed)
    if not naive_ms:  # --naive-queries 0: at a million items each takes minutes
        return p95(check_ms), p95(passage_ms)
    ratio = statistics.median(naive_ms) / statistics.median(check_ms)
    print(
        f"  naive all-pairs baseline ({len(naive_ms)} of the texts): p50 "
        f"{statistics.median(naive_ms):.0f} ms — the index is {ratio:.0f}× faster; it found "
        f"{agree} of the naive check's {naive_found} flagged items (recall vs exhaustive "
        f"{agree / naive_found if naive_found else 1:.4f})"
    )
    return p95(check_ms), p95(passage_ms)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--naive-queries", type=int, default=5)
    parser.add_argument("--query-seed", type=int, default=99, help="other texts to check")
    parser.add_argument(
        "--prewarm", action="store_true", help="the key index read into memory first (in use)"
    )
    args = parser.parse_args()
    pg_backend.migrate()
    truth = build(args.items, args.counties, args.dup_share)
    pg_backend.vacuum_analyze_if_never(connection)
    reindex_if_needed()
    if args.prewarm:
        prewarm()
    recall, precision = quality(truth)
    check_p95, passage_p95 = bench_checks(truth, args.queries, args.naive_queries, args.query_seed)
    print(
        f"\nsummary ({connection.vendor}, {Item.objects.count()} items): candidates p95 "
        f"{check_p95:.1f} ms (target ≤ 20), with passages p95 {passage_p95:.1f} ms (≤ 200), "
        f"recall {recall:.4f} (≥ 0.98), precision {precision:.4f} (≥ 0.99)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
