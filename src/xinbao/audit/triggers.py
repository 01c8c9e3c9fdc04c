"""Database triggers that refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit records
from any client. Installed by migration ``audit/0003``; lifted only by ``xinbao flush`` (outside
production), which empties every table anyway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLE = "audit_auditrecord"
MESSAGE = "audit records are append-only"

CREATE = {
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;""",
        f"""CREATE OR REPLACE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();""",
        f"""CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();""",
    ],
}
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_no_update;",
        "DROP TRIGGER IF EXISTS audit_no_delete;",
    ],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE};",
        f"DROP TRIGGER IF EXISTS audit_no_change ON {TABLE};",
    ],
}


def install(schema_editor: Any) -> None:
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def remove(schema_editor: Any) -> None:
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


@contextmanager
def lifted(connection: Any) -> Iterator[None]:
    """The triggers off for the block, inside the caller's transaction (``xinbao audit purge``,
    and tamper tests). DDL is transactional on both databases: a failure puts them back."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for sql in DROP.get(vendor, []):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in CREATE.get(vendor, []):
                cursor.execute(sql)
