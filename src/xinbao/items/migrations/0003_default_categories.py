from django.db import migrations

DEFAULT_CATEGORIES = ["动态", "经验做法", "问题建议", "调研报告", "其他"]


def add_categories(apps, schema_editor):
    Category = apps.get_model("items", "Category")
    for order, name in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("items", "0002_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
