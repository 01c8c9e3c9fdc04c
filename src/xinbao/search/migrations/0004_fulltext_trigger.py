"""Installations that ran the earlier ``search/0002`` have a generated ``vector`` column; this
turns it into the plain column with a trigger that ``search/0002`` now creates (``DROP
EXPRESSION`` keeps the values, no rewrite). Elsewhere it changes nothing. Not atomic, like
``search/0002`` (the index, if ever missing, is built ``CONCURRENTLY``)."""

from django.db import migrations

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite's FTS5 is unchanged
        fulltext.install(schema_editor)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0003_near_duplicates")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
