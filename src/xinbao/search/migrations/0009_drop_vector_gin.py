"""PostgreSQL: drop ``search_doc_vector_gin``, the GIN index on the entries' vector alone. Every
search reads ``search_doc_scope_gin`` (unit, department, vector) instead — a multicolumn GIN index
answers a condition on any of its columns, the vector alone included — and EXPLAIN (ANALYZE,
BUFFERS) on a 20,000-item index showed no query shape (newest first, windowed, relevance, phrase,
with filters, exclusion only) using the vector's own index, and the same plans without it. It cost 14 MiB there (the scope
index 15), its upkeep on every write of an entry's tokens, and a second GIN build in every full
``xinbao reindex`` (see ``xinbao.search.fulltext``). Dropped and, backwards, built ``CONCURRENTLY`` (so not atomic):
writers are never blocked. Nothing on SQLite."""

from django.db import migrations

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    fulltext.drop_vector_index(schema_editor)


def backwards(apps, schema_editor):
    fulltext.restore_vector_index(schema_editor)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0008_fts_scope")]
    operations = [migrations.RunPython(forwards, backwards)]
