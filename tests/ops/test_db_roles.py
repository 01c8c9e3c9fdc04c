"""R17 on PostgreSQL: the application's database role holds INSERT and SELECT only on the audit
table, so it cannot change a record even when the append-only triggers are gone — and, not owning
the table, it cannot remove or bypass them itself."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from io import StringIO
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from xinbao.audit.models import AuditRecord
from xinbao.audit.services import audit_record
from xinbao.audit.triggers import CREATE, DROP, TABLE
from xinbao.ops.dbroles import RoleNameError, grants_sql, roles_sql, table_privileges

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles and GRANTs are PostgreSQL's"
)


def _connect_as(role: str) -> Any:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        autocommit=True,
    )


@pytest.fixture
def app_role() -> Iterator[str]:
    """A login role for this test only (roles are cluster-wide: a random name, dropped after)."""
    role = f"xinbao_app_t{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOINHERIT")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r17_app_role_cannot_change_an_audit_row_even_with_the_triggers_dropped(
    app_role: str,
) -> None:
    record = audit_record(actor=None, action="test.r17_grant")
    out = StringIO()
    call_command("db_roles", "grant", "--app", app_role, stdout=out)
    assert "INSERT、SELECT" in out.getvalue()
    assert table_privileges(role=app_role, table=TABLE) == {"INSERT", "SELECT"}
    assert {"UPDATE", "DELETE"} <= table_privileges(role=app_role, table="items_item")
    assert AuditRecord.objects.filter(action="ops.db_grants").count() == 1

    with connection.cursor() as cursor:  # the owner drops the triggers, and commits
        for sql in DROP["postgresql"]:
            cursor.execute(sql)
    try:
        with _connect_as(app_role) as app:
            # Reads and appends still work for the app role ...
            count = f"SELECT count(*) FROM {TABLE}"  # noqa: S608 - a constant table name
            assert app.execute(count).fetchone()[0] >= 2
            # ... but no change, however it is tried.
            attempts = [  # constant table name and our own row id
                f"UPDATE {TABLE} SET action = 'forged' WHERE id = {record.pk}",  # noqa: S608
                f"DELETE FROM {TABLE} WHERE id = {record.pk}",  # noqa: S608
                f"TRUNCATE {TABLE}",
                f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL",
                f"ALTER TABLE {TABLE} OWNER TO {app_role}",
                "SET session_replication_role = replica",
            ]
            for sql in attempts:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(sql)
                    pytest.fail(f"the app role was allowed: {sql}")
            # Business tables are the app's to change.
            app.execute("UPDATE items_item SET title = title WHERE false")
    finally:
        with connection.cursor() as cursor:
            for sql in CREATE["postgresql"]:
                cursor.execute(sql)
    record.refresh_from_db()
    assert record.action == "test.r17_grant"


def test_r17_role_sql_names_are_checked_and_the_audit_table_is_insert_select_only() -> None:
    grants = grants_sql(app="xinbao_app")
    assert f"REVOKE ALL ON {TABLE} FROM xinbao_app" in grants
    assert grants[-1] == f"GRANT SELECT, INSERT ON {TABLE} TO xinbao_app"
    once = roles_sql(owner="xinbao_owner", app="a", database="x")
    assert "CREATE DATABASE x OWNER xinbao_owner" in once
    with pytest.raises(RoleNameError):
        grants_sql(app="x; DROP TABLE audit_auditrecord")
