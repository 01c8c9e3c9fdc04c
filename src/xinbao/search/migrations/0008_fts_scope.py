"""SQLite: the FTS5 table gets the entries' scope tokens (department and unit) as a second
column, and becomes contentless (``xinbao.search.fulltext.install_scoped``): a search narrows its
match to the department or unit it may see inside the index. Drops and refills the table from
the entries (at 100,000 entries about 20 s of CPU, 70 s on a busy two-core machine, merge
included; SQLite writers wait meanwhile). Nothing on PostgreSQL."""

from django.db import migrations

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    fulltext.install_scoped(schema_editor)


def backwards(apps, schema_editor):
    fulltext.remove_scoped(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("search", "0007_given_vectors")]
    operations = [migrations.RunPython(forwards, backwards)]
