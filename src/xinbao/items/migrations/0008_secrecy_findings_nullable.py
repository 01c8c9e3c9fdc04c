"""``Item.secrecy_findings`` is nullable (NULL: not checked yet).

items/0006 now adds the column nullable. Installations that applied its earlier version have it
``NOT NULL`` (with every count already filled); this makes theirs nullable too, so every
installation ends in the same schema. On PostgreSQL that is ``DROP NOT NULL``, a catalog change
without a table rewrite; SQLite rebuilds the table as it does for any altered column. Where the
column is already nullable nothing is done.
"""

from django.db import migrations, models


def column_nullable(schema_editor, table: str, column: str) -> bool:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return next(c.null_ok for c in description if c.name == column)


def make_nullable(apps, schema_editor):
    item_model = apps.get_model("items", "Item")
    new = item_model._meta.get_field("secrecy_findings")
    if column_nullable(schema_editor, item_model._meta.db_table, new.column):
        return
    old = models.PositiveIntegerField(default=0, verbose_name="保密提示数")
    old.set_attributes_from_name(new.name)
    old.model = item_model
    schema_editor.alter_field(item_model, old, new)


class Migration(migrations.Migration):
    dependencies = [("items", "0007_ranking_cover_idx")]

    operations = [migrations.RunPython(make_nullable, migrations.RunPython.noop)]
