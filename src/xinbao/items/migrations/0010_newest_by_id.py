"""One unit's and one department's items newest first by id, from an index each
(``items.permissions.newest_visible_ids``: the API's list, paged by id). The two new indexes lead
with the unit and the department, so the foreign keys' own single-column indexes go: they are
built before those are dropped, and only the indexes change — Django's ``AlterField`` would drop
and re-add (re-validate) the foreign-key constraints on PostgreSQL and copy the whole table on
SQLite, so the database side is the plain ``DROP INDEX`` of each. Plain CREATE INDEX, as
items.0007 and items.0009 (about a second each at 1,000,000 items)."""

from django.db import migrations, models

FOREIGN_KEY_INDEXES = {
    "unit": "items_item_unit_id_5206648a",
    "department": "items_item_department_id_788dcbfe",
}


def dropped(field: str, column: str) -> migrations.RunSQL:
    name = FOREIGN_KEY_INDEXES[field]
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "items_item" ("{column}")',
    )


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0009_inbox_cover_idx"),
        ("orgs", "0006_user_otp_epoch"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["unit", "-id"], name="item_unit_newest_idx"),
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["department", "-id"], name="item_dept_newest_idx"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[dropped("unit", "unit_id"), dropped("department", "department_id")],
            state_operations=[
                migrations.AlterField(
                    model_name="item",
                    name="unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="items",
                        to="orgs.unit",
                        verbose_name="报送单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="item",
                    name="department",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="received_items",
                        to="orgs.unit",
                        verbose_name="报送至",
                    ),
                ),
            ],
        ),
    ]
