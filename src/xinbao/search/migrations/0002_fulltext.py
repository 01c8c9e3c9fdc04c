"""The backend full-text index over ``search_searchdocument``: FTS5 and its triggers on SQLite,
a tsvector column kept by a trigger with a GIN index on PostgreSQL (see
``xinbao.search.fulltext``). Not atomic: the index is built ``CONCURRENTLY``, and nothing here
rewrites the table; existing documents get their vector from ``xinbao backfill``."""

from django.db import migrations

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    fulltext.install(schema_editor)


def backwards(apps, schema_editor):
    fulltext.remove(schema_editor)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
