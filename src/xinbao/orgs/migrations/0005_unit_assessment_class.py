"""Units gain an assessment class (考核类别), filled from their kind: townships 乡镇, departments
县直部门B类 (an editor then sets A or C), other units 其他单位; organization departments none."""

from typing import Any

from django.db import migrations, models

DEFAULTS = {"township": "township", "department": "dept_b", "other": "other"}


def fill(apps: Any, schema_editor: Any) -> None:
    Unit = apps.get_model("orgs", "Unit")
    for kind, klass in DEFAULTS.items():
        Unit.objects.filter(kind=kind, assessment_class="").update(assessment_class=klass)


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0004_merge_roster_and_phone_encryption"),
    ]

    operations = [
        migrations.AddField(
            model_name="unit",
            name="assessment_class",
            field=models.CharField(
                blank=True,
                choices=[
                    ("township", "乡镇"),
                    ("dept_a", "县直部门A类"),
                    ("dept_b", "县直部门B类"),
                    ("dept_c", "县直部门C类"),
                    ("office", "部机关科室"),
                    ("other", "其他单位"),
                ],
                help_text="留空时按类型取默认:乡镇为乡镇类,部门为县直部门B类,其他为其他单位。",
                max_length=16,
                verbose_name="考核类别",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
