"""Benchmark: full-text search against the naive ``LIKE '%…%'`` scan it replaces.

Builds (once, into the database named by DATABASE_URL, default an SQLite file under /tmp) an
installation of ``--counties`` counties, each with the demo county's 22 townships and 18
departments, and N items written from the demo county's templates (``xinbao.orgs.demo``): two
or three compositions on one theme per item, about 700 characters, one in ten converted to
Traditional script, in every state, over two years. Items are bulk-inserted (no signals), so
the index is built by the same ``search.index.reindex`` that ``xinbao reindex`` runs: its time
and the index size are reported.

Then, for a county editor and a department leader of the same county (who see the county's
submitted items) and a township officer (who sees one unit's items, drafts included), every
query in ``QUERIES`` is run through ``search.queries.search_items`` as the search page runs it
— count, first page of 20 with scores and highlighted snippets — newest first and by relevance,
and through the naive baseline (``items_visible_to(user)`` with the same filters and unit
exclusion, filtered by ``title LIKE '%w%' OR body LIKE '%w%'`` for each word, count and first
20 newest). Each figure is the p50 / p95 of ``--repeat`` runs; the ratios are
baseline ÷ full-text (newest first / by relevance, p50 wall), measured in the same run.

    .venv/bin/python bench/bench_search.py --items 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_bench_search \\
        .venv/bin/python bench/bench_search.py --items 100000
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/xinbao_bench_search.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")

import django

django.setup()

from bench import pg_backend
from bench.bench_lists import build_tree, demo_county_specs
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from xinbao.items.models import Category, Item, State
from xinbao.items.queries import filter_items, items_visible_to
from xinbao.orgs.demo import content, drafting
from xinbao.orgs.models import Role, User
from xinbao.search import index, parallel
from xinbao.search.normalize import normalize
from xinbao.search.queries import Order, SearchFilters, search_items

# (label, query, the words the naive baseline looks for with LIKE, ANDed; a unit name the query
# excludes; the filters, as the search form passes them)
QUERIES: list[tuple[str, str, list[str], str | None, dict[str, Any]]] = [
    ("very common word", "工作", ["工作"], None, {}),
    ("common word", "党员", ["党员"], None, {}),
    ("two-character term", "换届", ["换届"], None, {}),
    ("four-character term", "软弱涣散", ["软弱涣散"], None, {}),
    ("Traditional query", "村級組織換屆", ["村级组织换届"], None, {}),
    ("rare practice name", "村账镇代理", ["村账镇代理"], None, {}),
    ("phrase", '"基层组织建设"', ["基层组织建设"], None, {}),
    ("two words (AND)", "换届 人选", ["换届", "人选"], None, {}),
    ("OR", "冬训 OR 积分", ["冬训"], None, {}),
    ("NOT", "党员 -换届", ["党员"], None, {}),
    ("unit exclusion", "党员 -单位:东溪乡", ["党员"], "东溪乡", {}),
    ("filters", "换届", ["换届"], None, {"category_name": "经验做法", "days": 180}),
    ("no match", "量子计算", ["量子计算"], None, {}),
]
STATES = [s.value for s in State]
UNSUBMITTED = (State.DRAFT, State.PENDING_SIGNOFF)
SPECS = content.TOWNSHIPS + content.DEPARTMENTS


def compose_text(rng: random.Random, spec: content.UnitSpec, day: datetime.date) -> drafting.Draft:
    theme = rng.choice(drafting.themes_for(spec))
    category = rng.choice(content.CATEGORIES)
    first = drafting.compose(rng, category=category, theme=theme, spec=spec, day=day)
    more = [
        drafting.compose(
            rng, category=rng.choice(content.CATEGORIES), theme=theme, spec=spec, day=day
        )
        for _ in range(rng.choice((1, 2)))
    ]
    body = "\n".join([first.body, *(draft.body for draft in more)])
    return drafting.Draft(first.title, body, first.keywords, first.event_date)


def build(n_items: int, n_counties: int) -> None:
    if Item.objects.exists():
        print(f"reusing {Item.objects.count()} items already in the database")
        return
    import opencc

    to_traditional = opencc.OpenCC("s2t")
    rng = random.Random(11)
    t0 = time.perf_counter()
    with transaction.atomic():
        tree = build_tree(
            top=("LJ", "澜江市委组织部", "city"), counties=n_counties, specs=demo_county_specs()
        )
        units = list(zip(tree.units, SPECS * n_counties, strict=True))
        officer_by_unit = tree.officer_by_unit
        categories = list(Category.objects.all())
        now = timezone.now()
        batch: list[Item] = []
        for i in range(n_items):
            unit, spec = rng.choice(units)
            created = now - datetime.timedelta(minutes=rng.randrange(0, 2 * 525600))
            draft = compose_text(rng, spec, created.date())
            title, body = draft.title, draft.body
            if rng.random() < 0.1:
                title, body = to_traditional.convert(title), to_traditional.convert(body)
            state = rng.choice(STATES)
            batch.append(
                Item(
                    unit=unit,
                    department_id=unit.department_id,
                    created_by=officer_by_unit[unit.pk],
                    title=title[:200],
                    body=body,
                    keywords=draft.keywords,
                    category=rng.choice(categories),
                    urgency=rng.choice([0] * 18 + [1, 2]),
                    state=state,
                    submitted_at=None if state in UNSUBMITTED else created,
                )
            )
            if len(batch) == 5000:
                Item.objects.bulk_create(batch)
                batch.clear()
                print(f"  {i + 1} items written", end="\r", flush=True)
        Item.objects.bulk_create(batch)
    print(f"built {n_counties} counties, {len(units)} units, {n_items} items", end="")
    print(f" in {time.perf_counter() - t0:.0f} s")


def index_size() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'search_%' GROUP BY name"
            )
            sizes = dict(cursor.fetchall())
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = 'items_item'")
            items = cursor.fetchone()[0]
            fts = sum(v for k, v in sizes.items() if k.startswith("search_fts"))
            docs = sizes.get("search_searchdocument", 0)
            return (
                f"FTS5 index {fts / 2**20:.0f} MiB + token strings {docs / 2**20:.0f} MiB "
                f"(items table {items / 2**20:.0f} MiB)"
            )
        cursor.execute(
            "SELECT pg_total_relation_size('search_searchdocument'), "
            "pg_relation_size('search_doc_scope_gin'), pg_total_relation_size('items_item')"
        )
        total, gin, items = cursor.fetchone()
        return (
            f"search table {total / 2**20:.0f} MiB, of which GIN index {gin / 2**20:.0f} MiB "
            f"(items table {items / 2**20:.0f} MiB)"
        )


def reindex_if_needed() -> None:
    missing = Item.objects.count() - index.SearchDocument.objects.count()
    if missing <= 0:
        print(f"index present: {index_size()}")
        return
    print(f"indexing {missing} items (search.index.reindex, as `xinbao reindex` runs it) …")
    result = index.reindex(batch_size=1000, workers=parallel.default_workers())
    rate = result.items / result.seconds
    print(
        f"reindex: {result.items} items in {result.seconds:.1f} s ({rate:.0f} items/s; "
        f"1,000,000 items ≈ {1_000_000 / rate / 60:.1f} min at this rate)"
    )
    print(f"index size: {index_size()}")


CPU: dict[int, list[float]] = {}  # id(samples' list) → this process's CPU ms of each run


def server_cpu() -> float:
    """PostgreSQL: CPU seconds of this connection's server process so far, when the server runs
    on this machine; 0 on SQLite (its work is this process's) or a remote server."""
    return pg_backend.backend_cpu(connection) or 0.0


def samples(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Wall-clock ms of ``repeat`` runs; their CPU ms in ``CPU`` — this process's plus, on
    PostgreSQL, the server process's (its clock ticks are 10 ms, so that part is the mean over the
    runs): CPU is not time spent waiting for a core on a shared machine."""
    fn()  # warm the caches once
    out, cpu = [], []
    s0 = server_cpu()
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    server = (server_cpu() - s0) * 1000 / repeat
    CPU[id(out)] = [c + server for c in cpu]
    return out


def cpu_p50(values: list[float]) -> float:
    return statistics.median(CPU[id(values)])


def cpu_p95(values: list[float]) -> float:
    return p95(CPU[id(values)])


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def search_filters(filters: dict[str, Any]) -> SearchFilters:
    """The form's filters: a category by name and the last ``days`` days of submission."""
    days = filters.get("days")
    since = timezone.localdate() - datetime.timedelta(days=days) if days else None
    return SearchFilters(category_name=filters.get("category_name"), date_from=since)


def naive(
    user: User, words: list[str], excluded_unit: str | None, filters: dict[str, Any]
) -> QuerySet[Item]:
    qs = filter_items(items_visible_to(user), search_filters(filters))
    if excluded_unit:
        qs = qs.exclude(unit__name=excluded_unit)
    for word in words:
        qs = qs.filter(Q(title__contains=word) | Q(body__contains=word))
    return qs.order_by("-pk")


def run_page(user: User, query: str, order: str, filters: dict[str, Any]) -> Callable[[], Any]:
    def run() -> Any:
        results = search_items(user, query, search_filters(filters), order=order)
        page = results.page(1)
        return results.count, [str(hit.snippet) for hit in page.object_list]

    return run


def run_naive(
    user: User, words: list[str], excluded_unit: str | None, filters: dict[str, Any]
) -> Callable[[], Any]:
    def run() -> Any:
        qs = naive(user, words, excluded_unit, filters)
        return qs.count(), list(qs[:20])

    return run


def bench_user(label: str, user: User, repeat: int) -> list[tuple[float, float, float]]:
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n== {label}: {user.username}, sees {items_visible_to(user).count()} items ", end="")
    print(f"(load average {load}) ==")
    header = (
        f"{'query':<22}{'hits':>7}  {'newest p50/p95 ms':>19}  {'relevance p50/p95':>19}"
        f"  {'LIKE p50 ms':>11}  {'ratio new/rel':>13}  {'CPU (+server) newest/relevance/LIKE':>36}"
    )
    print(header)
    rows = []
    cpu_rows: list[tuple[float, float]] = []
    for name, query, words, excluded_unit, filters in QUERIES:
        hits = search_items(user, query, search_filters(filters)).count
        newest = samples(run_page(user, query, Order.NEWEST, filters), repeat)
        relevance = samples(run_page(user, query, Order.RELEVANCE, filters), repeat)
        baseline = samples(run_naive(user, words, excluded_unit, filters), max(3, repeat // 3))
        ratio = statistics.median(baseline) / statistics.median(newest)
        ratio_relevance = statistics.median(baseline) / statistics.median(relevance)
        print(
            f"{name:<22}{hits:>7}  {statistics.median(newest):8.2f} /{p95(newest):8.2f}  "
            f"{statistics.median(relevance):8.2f} /{p95(relevance):8.2f}  "
            f"{statistics.median(baseline):11.1f}  {ratio:5.1f}×/{ratio_relevance:5.1f}×  "
            f"{cpu_p50(newest):10.2f} /{cpu_p50(relevance):8.2f} /{cpu_p50(baseline):8.1f}"
        )
        rows.append((statistics.median(newest), p95(relevance), statistics.median(baseline)))
        cpu_rows.append((cpu_p50(newest), cpu_p50(relevance), cpu_p95(relevance)))
    all_newest = [r[0] for r in rows]
    all_relevance = [r[1] for r in rows]
    print(
        f"over all queries: newest-first median {statistics.median(all_newest):.2f} ms "
        f"(slowest query {max(all_newest):.2f}); relevance worst p95 {max(all_relevance):.2f} ms"
    )
    print(
        "CPU (this process + server): newest-first median "
        f"{statistics.median(r[0] for r in cpu_rows):.2f} ms "
        f"(slowest query {max(r[0] for r in cpu_rows):.2f}); relevance slowest p50 "
        f"{max(r[1] for r in cpu_rows):.2f} ms, worst p95 {max(r[2] for r in cpu_rows):.2f} ms;"
        " load average now " + "/".join(f"{x:.2f}" for x in os.getloadavg())
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--roles", default="editor,leader,officer", help="which of editor, leader, officer to run"
    )
    args = parser.parse_args()
    pg_backend.migrate()
    build(args.items, args.counties)
    pg_backend.vacuum_analyze_if_never(connection)
    reindex_if_needed()
    editor = User.objects.filter(role=Role.EDITOR).order_by("pk").first()
    officer = User.objects.filter(role=Role.OFFICER, unit__code__endswith="T01").first()
    assert editor and officer
    # A department leader of the editor's county (the tree has none): sees what the editor sees.
    leader, _created = User.objects.get_or_create(
        username=f"l{editor.unit.code}", defaults={"role": Role.DEPT_LEADER, "unit": editor.unit}
    )
    print(f"\n{connection.vendor}: {Item.objects.count()} items; query normal form e.g.", end=" ")
    print(f"{QUERIES[4][1]} → {normalize(QUERIES[4][1])}")
    users = {
        "editor": ("county editor", editor),
        "leader": ("department leader", leader),
        "officer": ("township officer", officer),
    }
    rows = []
    for role in args.roles.split(","):
        label, user = users[role]
        rows += bench_user(label, user, args.repeat)
    speedups = [baseline / newest for newest, _rel, baseline in rows]
    print(f"\nspeed-up over LIKE (newest first): median {statistics.median(speedups):.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
