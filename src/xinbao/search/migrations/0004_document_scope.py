"""The item fields visibility reads, copied onto the full-text entries and indexed with the
vector on PostgreSQL (``xinbao.search.fulltext.install_scope``)."""

from django.db import migrations, models

from xinbao.search import fulltext


def forwards(apps, schema_editor):
    fulltext.install_scope(schema_editor)


def backwards(apps, schema_editor):
    fulltext.remove_scope(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('items', '0007_ranking_cover_idx'),
        ('search', '0003_near_duplicates'),
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
