"""The unique index on ``AuditRecord.seq`` built ``CONCURRENTLY`` (PostgreSQL), outside any
transaction, while the system keeps writing: audit/0004 now adds the column with its check
``NOT VALID`` and no index (``AddSeqOnline``). Here the index is built, attached as the unique
constraint ``audit_auditrecord_seq_key`` (a brief lock, no scan) and the check validated (a scan
that does not block writers): the schema is then the one the earlier audit/0004 made.
Installations that ran that earlier version have the constraint and a valid check already, and
nothing is done. An index an interrupted build left invalid is dropped and built again."""

from django.db import migrations

TABLE = "audit_auditrecord"
UNIQUE = "audit_auditrecord_seq_key"
CHECK = "audit_auditrecord_seq_check"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: audit/0004 made the column unique as before
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            [UNIQUE, TABLE],
        )
        if cursor.fetchone() is None:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE c.relname = %s",
                [UNIQUE],
            )
            found = cursor.fetchone()
            if found is not None and not found[0]:
                cursor.execute(f'DROP INDEX CONCURRENTLY "{UNIQUE}"')
                found = None
            if found is None:
                cursor.execute(f'CREATE UNIQUE INDEX CONCURRENTLY "{UNIQUE}" ON "{TABLE}" ("seq")')
            cursor.execute(
                f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{UNIQUE}" UNIQUE USING INDEX "{UNIQUE}"'
            )
        cursor.execute(
            "SELECT convalidated FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            [CHECK, TABLE],
        )
        check = cursor.fetchone()
        if check is not None and not check[0]:
            cursor.execute(f'ALTER TABLE "{TABLE}" VALIDATE CONSTRAINT "{CHECK}"')


def backwards(apps, schema_editor):
    """Back to what audit/0004 now leaves: the column without its unique constraint."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP CONSTRAINT IF EXISTS "{UNIQUE}"')


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("audit", "0005_prechain_seal")]
    operations = [migrations.RunPython(forwards, backwards)]
