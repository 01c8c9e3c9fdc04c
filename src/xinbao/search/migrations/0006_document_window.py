"""PostgreSQL: the indexes that give a part of a user's view its N-th newest entry, for the
windowed newest-first read (``xinbao.search.fulltext.install_window``), and narrow entry rows
from then on (``toast_tuple_target``). Schema only: indexes built ``CONCURRENTLY`` (so not
atomic) and a storage parameter (a catalog change, no rewrite). Nothing on SQLite."""

from django.db import migrations

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    fulltext.install_window(schema_editor)


def backwards(apps, schema_editor):
    fulltext.remove_window(schema_editor)


class Migration(migrations.Migration):

    atomic = False
    dependencies = [
        ('search', '0005_document_scope'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
