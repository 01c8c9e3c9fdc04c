"""The item fields visibility reads, copied onto the full-text entries and indexed with the
vector on PostgreSQL (``xinbao.search.fulltext.install_scope``). Schema only: nullable columns
(no rewrite) and an index built ``CONCURRENTLY`` (so not atomic); the entries that existed before
get their copy from ``xinbao backfill`` (part ``scope``), in batches while the system runs."""

from django.db import migrations, models

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    fulltext.install_scope(schema_editor)


def backwards(apps, schema_editor):
    fulltext.remove_scope(schema_editor)


class Migration(migrations.Migration):

    atomic = False
    dependencies = [
        ('items', '0008_secrecy_findings_nullable'),
        ('search', '0004_fulltext_trigger'),
    ]

    operations = [
        migrations.AddField(
            model_name='searchdocument',
            name='department_id',
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='state',
            field=models.CharField(max_length=20, null=True),
        ),
        migrations.AddField(
            model_name='searchdocument',
            name='unit_id',
            field=models.IntegerField(null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
