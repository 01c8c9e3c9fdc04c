"""Database triggers that refuse UPDATE and DELETE on the audit table from any client."""

from django.db import migrations

from xinbao.audit import triggers


def forwards(apps, schema_editor):
    triggers.install(schema_editor)


def backwards(apps, schema_editor):
    triggers.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
