"""The band table's key index covers the candidates' read: ``(key, item_id, paragraph)`` instead
of ``(key)``, so ``duplicates.candidates`` answers from the index alone (PostgreSQL: an
index-only scan; SQLite: a covering index) and never visits the band rows themselves. At
1,000,000 items the rows of a text's 90 keys lay in 2,433 heap pages of a 9.3 GiB table, read
cold at the first check of a text: the candidates' p95 went from 28.7 to 8.2 ms
(``bench/bench_duplicates.py``). The index is twice the size (1.7 → 3.4 GiB there).

Built before the old one is dropped; on PostgreSQL both ``CONCURRENTLY`` (so not atomic): writers
are never blocked, and an index an interrupted build left invalid is dropped and built again."""

from django.db import migrations, models

OLD, NEW = "search_lsh_key_idx", "search_lsh_key_cover_idx"
COLUMNS = '("key", "item_id", "paragraph")'


def _invalid(cursor, name):
    cursor.execute(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE c.relname = %s",
        [name],
    )
    found = cursor.fetchone()
    return found is not None and found[0]


def _swap(schema_editor, build, columns, drop):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    with schema_editor.connection.cursor() as cursor:
        if concurrently:  # the sort of a large table's keys in memory, not on disk
            cursor.execute("SET maintenance_work_mem = '512MB'")
        if concurrently and _invalid(cursor, build):
            cursor.execute(f'DROP INDEX CONCURRENTLY "{build}"')
        cursor.execute(
            f'CREATE INDEX{concurrently} IF NOT EXISTS "{build}" ON "search_lshband" {columns}'
        )
        cursor.execute(f'DROP INDEX{concurrently} IF EXISTS "{drop}"')
        if concurrently:
            cursor.execute("RESET maintenance_work_mem")


def forwards(apps, schema_editor):
    _swap(schema_editor, NEW, COLUMNS, OLD)


def backwards(apps, schema_editor):
    _swap(schema_editor, OLD, '("key")', NEW)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0009_drop_vector_gin")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.RemoveIndex(model_name="lshband", name=OLD),
                migrations.AddIndex(
                    model_name="lshband",
                    index=models.Index(fields=["key", "item", "paragraph"], name=NEW),
                ),
            ],
        )
    ]
