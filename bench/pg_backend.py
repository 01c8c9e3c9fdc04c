"""The CPU a benchmark's PostgreSQL backend spends: the server's share of a query's cost, which
the client's own CPU clock does not see."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def backend_cpu(connection: Any) -> float | None:
    """CPU seconds (user + system) of the PostgreSQL backend serving ``connection`` so far, read
    from ``/proc`` when the server runs on this machine; None on SQLite (its work is this
    process's) or for a remote server. The kernel counts in clock ticks (10 ms)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vacuum_analyze_if_never(connection: Any) -> None:
    """PostgreSQL: do what autovacuum does after a bulk load when it never came by: ``ANALYZE``
    the database when the items table has no planner statistics, ``VACUUM`` the items table
    when it was never vacuumed. A benchmark's bulk build leaves neither, and a machine may run
    without autovacuum (this one does): the planner then guesses (a search with filters ran
    1.3 s at 1,000,000 items instead of 0.2), and with no visibility map no index-only scan
    is possible (the inbox's rows, ``items.queries.inbox``). Deployments keep autovacuum on
    (docs/deploy.md)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze IS NULL AND last_autoanalyze IS NULL,"
            " last_vacuum IS NULL AND last_autovacuum IS NULL"
            " FROM pg_stat_user_tables WHERE relname = 'items_item'"
        )
        row = cursor.fetchone()
        if row is not None and row[0]:
            print("analyzing the database (no planner statistics yet) …")
            cursor.execute("ANALYZE")
        if row is not None and row[1]:
            print("vacuuming the items table (never vacuumed: no visibility map) …")
            cursor.execute("VACUUM items_item")


def ensure_database(url: str) -> None:
    """PostgreSQL: creates the database of ``url`` when it is missing (a benchmark builds its
    data there once and reuses it; a fresh machine has none). Other URLs: nothing."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg
    from psycopg import sql

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate() -> None:
    """The benchmark's database, created when missing (``ensure_database``) and migrated."""
    from django.core.management import call_command

    ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
