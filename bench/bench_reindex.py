"""Benchmark: the full re-index (``xinbao reindex``: full-text tokens, then the near-duplicate
index) of an installation, timed from empty index tables.

Builds the corpus of ``bench/bench_duplicates.py`` once (or reuses it: the items and the
ground-truth file beside the database are kept), empties the search tables (``SearchDocument``
and its backend index, ``DuplicateSignature``, ``LshBand``, ``SimilarPair``), runs the command's
work (``search.index.reindex`` then ``search.rebuild.reindex``) with ``--workers`` and reports:

- wall seconds and items/s of each pass and of the whole, with the 1,000,000-item estimate;
- CPU seconds of this process, of the worker processes (``RUSAGE_CHILDREN`` after the pools
  are shut down) and, on PostgreSQL, of the server backend serving this connection (from
  ``/proc``, when the server runs on this machine; per item, the full-text pass and the
  duplicate passes apart);
- CPU ms per item of each pass, main process and workers apart (``rebuild.ReindexResult``);
- the index size (SQLite: pages of each search table and index, ``dbstat``; PostgreSQL:
  ``pg_total_relation_size``) and the number of band rows;
- the load average before and after (the machine is shared).

    nice -n 10 .venv/bin/python bench/bench_reindex.py --items 100000 --workers 2
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_bench_reindex \\
        nice -n 10 .venv/bin/python bench/bench_reindex.py --items 100000

``--build-only`` builds the corpus and stops (start it early: a million items take a while).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from inspect import signature
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/xinbao_bench_reindex.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")

import django

django.setup()

from bench import pg_backend
from bench.bench_duplicates import build
from django.db import connection

from xinbao.items.models import Item
from xinbao.search import index, rebuild
from xinbao.search.models import DuplicateSignature, LshBand, SearchDocument, SimilarPair

SQLITE_TABLES = (
    "search_searchdocument",
    "search_fts",
    "search_fts_data",
    "search_fts_idx",
    "search_fts_docsize",
    "search_fts_config",
    "search_duplicatesignature",
    "search_lshband",
    "search_lsh_key_cover_idx",
    "search_similarpair",
)
PG_TABLES = (
    "search_searchdocument",
    "search_duplicatesignature",
    "search_lshband",
    "search_similarpair",
)


def load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def index_size() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(SQLITE_TABLES))
            cursor.execute(
                f"SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ({marks}) "
                "OR name LIKE 'sqlite_autoindex_search_%%' OR name LIKE 'search_%%' GROUP BY name",
                list(SQLITE_TABLES),
            )
            sizes = dict(cursor.fetchall())
        else:
            sizes = {}
            for table in PG_TABLES:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = cursor.fetchone()[0]
    total = sum(sizes.values())
    parts = ", ".join(f"{k} {v / 2**20:.0f}" for k, v in sorted(sizes.items()) if v >= 2**19)
    return (
        f"{total / 2**20:.0f} MiB (MiB: {parts}); {LshBand.objects.count()} band rows, "
        f"{SimilarPair.objects.count() // 2} pairs"
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def backend_cpu() -> float | None:
    """CPU seconds of the PostgreSQL backend serving this connection, when it is local."""
    return pg_backend.backend_cpu(connection)


def wipe() -> None:
    """Empty every search table (and so the backend full-text index)."""
    with connection.cursor() as cursor:
        for model in (SimilarPair, LshBand, DuplicateSignature, SearchDocument):
            table = connection.ops.quote_name(model._meta.db_table)
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table} CASCADE")
            else:
                cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "sqlite":
            # Contentless since search/0008: emptied with 'delete-all' ('rebuild' is refused).
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
            cursor.execute("VACUUM")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    pg_backend.migrate()
    build(args.items, args.counties, args.dup_share)
    if args.build_only:
        return 0
    total = Item.objects.count()
    wipe()
    started, cpu, backend = time.perf_counter(), time.process_time(), backend_cpu()
    children = children_cpu()
    # The code before ``--workers`` existed (a checkout on PYTHONPATH) is measured without it.
    kwargs = {"workers": args.workers} if "workers" in signature(rebuild.reindex).parameters else {}
    workers = kwargs.get("workers", "none (code without --workers)")
    print(f"{connection.vendor}, {total} items, workers {workers}; before: {load()}")
    text = index.reindex(**kwargs)
    text_seconds = time.perf_counter() - started
    text_cpu = time.process_time() - cpu + children_cpu() - children
    text_backend = backend_cpu()
    dup = rebuild.reindex(**kwargs)
    seconds = time.perf_counter() - started
    main_cpu = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = children.ru_utime + children.ru_stime
    after_backend = backend_cpu()
    server = (
        f", PostgreSQL backend {after_backend - backend:.0f} s "
        f"({1000 * (after_backend - backend) / total:.2f} ms/item: full-text "
        f"{1000 * (text_backend - backend) / total:.2f}, duplicates "
        f"{1000 * (after_backend - text_backend) / total:.2f})"
        if backend is not None and after_backend is not None and text_backend is not None
        else ""
    )
    print(
        f"full-text pass {text.items} items in {text_seconds:.1f} s; duplicates: entries "
        f"{dup.entries_seconds:.1f} s, pairs {dup.seconds - dup.entries_seconds:.1f} s"
    )
    rate = total / seconds
    print(
        f"reindex: {seconds:.1f} s wall, {rate:.0f} items/s; 1,000,000 items ≈ "
        f"{1_000_000 / rate / 60:.1f} min at this rate"
    )
    print(
        f"CPU: main process {main_cpu:.0f} s ({1000 * main_cpu / total:.2f} ms/item), workers "
        f"{workers_cpu:.0f} s ({1000 * workers_cpu / total:.2f} ms/item){server}"
    )
    if hasattr(dup, "workers_cpu_seconds"):
        pairs_main = dup.cpu_seconds - dup.entries_cpu_seconds
        print(
            f"CPU ms/item — duplicates entries: main {1000 * dup.entries_cpu_seconds / total:.2f}"
            f", workers {1000 * dup.workers_cpu_seconds[0] / total:.2f}; pairs: main "
            f"{1000 * pairs_main / total:.2f}, "
            f"workers {1000 * dup.workers_cpu_seconds[1] / total:.2f}"
            f"; full-text: main+workers {1000 * text_cpu / total:.2f}"
        )
    print(f"index size: {index_size()}")
    print(f"after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
