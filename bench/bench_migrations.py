"""Benchmark: how long each migration takes on a province-sized PostgreSQL database, and whether
it rewrites a table.

Builds (or reuses) the province of ``bench/bench_lists.py`` (100 counties, 3,000 units, N items)
in the database named by DATABASE_URL, migrated to the newest state, and fills the other tables
that grow with the items (one workflow event and one full-text document per item, and audit
records) with plain ``INSERT … SELECT``. Then, for every migration that is not an app's initial
one (those create tables that were not there), inside one transaction that is rolled back
afterwards: the migration's own operations are unapplied, then applied again and timed, and
every table whose storage (``pg_class.relfilenode``) changed is reported as rewritten. Other
apps' migrations that depend on it are left alone (nothing is dropped), so this times the
migration as it runs when it is the next one to apply.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_migbench \\
        nice .venv/bin/python bench/bench_migrations.py --items 1000000 --audit 1000000

Migrations that are not atomic (``CREATE INDEX CONCURRENTLY``: search/0002 and search/0004)
cannot run in a transaction; they are unapplied and reapplied for real.

With ``--backfill``, then times each part of ``xinbao backfill`` (rows, wall and CPU seconds,
rows per second) on what the upgrade leaves to it, and runs it a second time (nothing to do).

Exits 1 when a migration takes longer than ``--limit`` seconds (60) or rewrites a table that
holds more than 100,000 rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("bench_migrations needs DATABASE_URL=postgres://… (it measures PostgreSQL)")

sys.path.insert(0, str(Path(__file__).parent))
import bench_lists
import pg_backend
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

APPS = (
    "orgs",
    "items",
    "audit",
    "search",
    "topics",
    "publishing",
    "scoring",
    "notify",
    "transfer",
    "api",
    "ops",
    "security",
)
BIG_TABLE_ROWS = 100_000


def fill_related(audit_rows: int) -> None:
    """One event and one full-text document per item, and ``audit_rows`` audit records, when
    those tables are empty (a real province has several of each per item)."""
    filled = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM items_itemevent")
        if cursor.fetchone()[0] == 0:
            print("filling items_itemevent …", flush=True)
            filled = True
            cursor.execute(
                "INSERT INTO items_itemevent (action, from_state, to_state, comment, created_at,"
                " actor_id, item_id) SELECT 'submit', 'draft', state, '', now(), created_by_id, id"
                " FROM items_item"
            )
        cursor.execute("SELECT count(*) FROM search_searchdocument")
        if cursor.fetchone()[0] == 0:
            print("filling search_searchdocument …", flush=True)
            filled = True
            cursor.execute(
                "INSERT INTO search_searchdocument (item_id, tokens, indexed_at)"
                " SELECT id, title || ' ' || left(body, 200), now() FROM items_item"
            )
        cursor.execute("SELECT count(*) FROM audit_auditrecord")
        existing = cursor.fetchone()[0]
        if existing < audit_rows:
            print(f"filling audit_auditrecord to {audit_rows} …", flush=True)
            filled = True
            cursor.execute(
                "INSERT INTO audit_auditrecord (at, actor_name, action, object_type, object_id,"
                " object_repr, success, changes, role, user_agent, request_id, mac)"
                " SELECT now() - make_interval(secs => g), 'bench', 'item.submit', 'items.item',"
                " g::text, '信息', true, '{}'::jsonb, 'officer', '', '', ''"
                " FROM generate_series(1, %s) AS g",
                [audit_rows - existing],
            )
        if filled:
            cursor.execute("ANALYZE")


def storage() -> dict[int, tuple[str, int, str, float]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid, c.relname, c.relfilenode, c.relkind, c.reltuples FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'm')"
        )
        return {oid: (name, node, kind, rows) for oid, name, node, kind, rows in cursor.fetchall()}


class Rollback(Exception):
    pass


def time_migration(executor: MigrationExecutor, key: tuple[str, str]) -> dict[str, Any]:
    loader = executor.loader
    migration = loader.graph.nodes[key]
    parents = list(loader.graph.node_map[key].parents)
    result: dict[str, Any] = {"migration": f"{key[0]}.{key[1]}", "atomic": migration.atomic}

    def unapply_and_time() -> None:
        # Both take the state before the migration (as MigrationExecutor passes it), which a
        # backward RemoveIndex needs to find the index it puts back.
        with connection.schema_editor(atomic=False) as editor:
            migration.unapply(loader.project_state([p.key for p in parents], at_end=True), editor)
        before = storage()
        before_state = loader.project_state([p.key for p in parents], at_end=True)
        started, cpu = time.perf_counter(), time.process_time()
        with connection.schema_editor(atomic=False) as editor:
            migration.apply(before_state, editor)
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = time.process_time() - cpu
        after = storage()
        rewritten = []
        for oid, (name, node, kind, rows) in before.items():
            if kind == "r" and oid in after and after[oid][1] != node:
                rewritten.append((name, int(max(rows, after[oid][3]))))
        result["rewritten"] = rewritten

    if not migration.atomic:
        # CREATE INDEX CONCURRENTLY cannot run in a transaction: unapplied and reapplied for
        # real (what they do to rows, e.g. search/0002's vectors, is left to xinbao backfill).
        unapply_and_time()
        return result
    try:
        with transaction.atomic():
            unapply_and_time()
            raise Rollback
    except Rollback:
        pass
    return result


def time_backfill() -> None:
    """Throughput of ``xinbao backfill``'s parts on what the upgrade left: every item unchecked
    (as items/0006 now leaves existing items), the vectors search/0002 left NULL and the audit
    records from before the chain."""
    from xinbao.audit import prechain
    from xinbao.items import backfill
    from xinbao.search import fulltext

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM items_item WHERE secrecy_findings IS NULL")
        if cursor.fetchone()[0] == 0:
            print("marking every item unchecked (as after items/0006) …", flush=True)
            cursor.execute("UPDATE items_item SET secrecy_findings = NULL")
    parts: list[tuple[str, Callable[[], int], Callable[..., Any], int]] = [
        ("secrecy", backfill.secrecy_pending, backfill.secrecy_backfill, backfill.BATCH),
        ("fulltext", fulltext.vector_pending, fulltext.backfill, 5000),
        ("audit", prechain.pending, prechain.seal, prechain.BATCH),
    ]
    print(f"{'backfill part':<14} {'rows':>10} {'wall s':>8} {'cpu s':>8} {'rows/s':>9}")
    for name, pending, run, size in parts:
        rows = pending()
        started, cpu = time.perf_counter(), time.process_time()
        run(batch_size=size)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        rate = rows / wall if wall else 0.0
        print(f"{name:<14} {rows:>10,} {wall:>8.1f} {cpu:>8.1f} {rate:>9,.0f}", flush=True)
        again = time.perf_counter()
        run(batch_size=size)
        print(f"{name + ' again':<14} {pending():>10,} {time.perf_counter() - again:>8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--audit", type=int, default=1_000_000, help="audit records to hold")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed per migration")
    parser.add_argument("--only", nargs="*", default=[], help="app.name prefixes to time")
    parser.add_argument(
        "--backfill", action="store_true", help="then time xinbao backfill's parts as well"
    )
    args = parser.parse_args()
    pg_backend.migrate()
    started = time.perf_counter()
    bench_lists.build(args.items)
    fill_related(args.audit)
    print(f"database ready in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        for table in (
            "items_item",
            "items_itemevent",
            "search_searchdocument",
            "audit_auditrecord",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"  {table:<24} {cursor.fetchone()[0]:>10,} rows")
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    plan: list[tuple[str, str]] = []
    for leaf in sorted(graph.leaf_nodes()):
        plan.extend(key for key in graph.forwards_plan(leaf) if key not in plan)
    keys = [
        key
        for key in executor.loader.graph.nodes
        if key[0] in APPS and not executor.loader.graph.nodes[key].initial
    ]
    order = {key: n for n, key in enumerate(plan)}
    keys.sort(key=lambda k: (order.get(k, len(order)), k))
    if args.only:
        keys = [k for k in keys if any(f"{k[0]}.{k[1]}".startswith(p) for p in args.only)]
    failures = 0
    print(f"{'migration':<62} {'seconds':>9} {'cpu':>6}  rewritten tables")
    for key in keys:
        result = time_migration(executor, key)
        big = [
            f"{name} ({rows:,} rows)" for name, rows in result["rewritten"] if rows > BIG_TABLE_ROWS
        ]
        small = [name for name, rows in result["rewritten"] if rows <= BIG_TABLE_ROWS]
        flag = result["seconds"] > args.limit or bool(big)
        failures += flag
        shown = ", ".join(big + small) or "-"
        mark = "   <-- over" if flag else ""
        name = result["migration"] + ("" if result["atomic"] else " (not atomic)")
        print(
            f"{name:<62} {result['seconds']:>9.2f} {result['cpu']:>6.2f}  {shown}{mark}",
            flush=True,
        )
    print(f"{failures} migration(s) over {args.limit:.0f} s or rewriting a big table")
    if args.backfill:
        time_backfill()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
