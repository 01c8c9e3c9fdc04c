"""The backend full-text index over ``search_searchdocument``: FTS5 and its triggers on SQLite,
a generated tsvector column with a GIN index on PostgreSQL (see ``xinbao.search.fulltext``)."""

from django.db import migrations

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    fulltext.install(schema_editor)


def backwards(apps, schema_editor):
    fulltext.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
