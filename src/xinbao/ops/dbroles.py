"""Least privilege on PostgreSQL (R17): an owner role that owns the schema and runs migrations,
and an application role that the app servers log in as. The app role may read and write the
business tables but only INSERT and SELECT the audit table: no UPDATE, DELETE or TRUNCATE, and,
not being the owner, it cannot drop, disable or bypass the append-only triggers either (ALTER
TABLE needs ownership; ``session_replication_role`` needs a superuser). So even with the
triggers gone, an app server cannot change an audit record.

``roles_sql`` is run once by a superuser; ``grants_sql`` by the owner after every ``migrate``
(it is idempotent and covers tables that migrations added). Commands that change the schema or
lift the audit triggers (``migrate``, ``xinbao audit purge``, ``xinbao reindex --full``) run as
the owner; everything else runs as the app role. See docs/deploy.md.
"""

from __future__ import annotations

import re

from django.db import connection, transaction

from xinbao.audit.services import audit_record
from xinbao.audit.triggers import TABLE as AUDIT_TABLE

# Tables an app server writes to but must never change: append-only.
APPEND_ONLY = (AUDIT_TABLE,)
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleNameError(ValueError):
    pass


def _name(value: str) -> str:
    if not NAME.match(value):
        raise RoleNameError(f"invalid role or database name: {value!r}")
    return value


def roles_sql(*, owner: str, app: str, database: str) -> list[str]:
    """For a superuser, once: the two login roles (passwords set afterwards with ``\\password``),
    the database owned by the owner, and the public schema closed to everyone else."""
    owner, app, database = _name(owner), _name(app), _name(database)
    return [
        f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOCREATEROLE NOINHERIT",
        f"CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT",
        f"CREATE DATABASE {database} OWNER {owner}",
        f"\\connect {database}",
        f"ALTER SCHEMA public OWNER TO {owner}",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {app}",
        f"GRANT USAGE ON SCHEMA public TO {app}",
    ]


def grants_sql(*, app: str) -> list[str]:
    """For the owner, after every ``migrate``: the app role may use every table and sequence,
    except that the append-only tables are INSERT and SELECT only."""
    app = _name(app)
    sql = [
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
    ]
    for table in APPEND_ONLY:
        sql += [
            f"REVOKE ALL ON {table} FROM {app}",
            f"GRANT SELECT, INSERT ON {table} TO {app}",
        ]
    return sql


def grants_apply(*, app: str) -> list[str]:
    """Run ``grants_sql`` on the default database (PostgreSQL, connected as the owner) in one
    transaction with an audit record ``ops.db_grants``."""
    if connection.vendor != "postgresql":
        raise RoleNameError("database roles apply to PostgreSQL only")
    statements = grants_sql(app=app)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        audit_record(
            actor=None,
            action="ops.db_grants",
            changes={"app_role": app, "append_only": list(APPEND_ONLY)},
        )
    return statements


def table_privileges(*, role: str, table: str) -> set[str]:
    """The privileges ``role`` holds on ``table`` (PostgreSQL), e.g. {"SELECT", "INSERT"}."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = %s AND table_name = %s",
            [role, table],
        )
        return {row[0] for row in cursor.fetchall()}
