"""Stored rule sets key their quotas by assessment class (``Unit.assessment_class``) instead of
unit kind: the old ``department`` quotas apply to each of the county departments' classes A, B
and C (every department was in one class before); ``township`` and ``other`` keep their name."""

from typing import Any

from django.db import migrations

SPLIT = ("dept_a", "dept_b", "dept_c")


def forward(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("scoring", "RuleSet")
    for ruleset in RuleSet.objects.all():
        rules = dict(ruleset.rules or {})
        changed = False
        for key in ("quotas", "reference_quotas"):
            table = rules.get(key)
            if isinstance(table, dict) and "department" in table:
                table = dict(table)
                old = table.pop("department")
                for klass in SPLIT:
                    table.setdefault(klass, old)
                rules[key] = table
                changed = True
        if changed:
            ruleset.rules = rules
            ruleset.save(update_fields=["rules"])


def backward(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("scoring", "RuleSet")
    for ruleset in RuleSet.objects.all():
        rules = dict(ruleset.rules or {})
        for key in ("quotas", "reference_quotas"):
            table = rules.get(key)
            if isinstance(table, dict) and any(k in table for k in SPLIT):
                table = {k: v for k, v in table.items() if k not in (*SPLIT, "office")}
                old = (rules.get(key) or {}).get("dept_b") or (rules.get(key) or {}).get("dept_a")
                if old is not None:
                    table["department"] = old
                rules[key] = table
        ruleset.rules = rules
        ruleset.save(update_fields=["rules"])


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_item_review_ledger_attribution_tally"),
        ("orgs", "0005_unit_assessment_class"),
    ]

    operations = [migrations.RunPython(forward, backward)]
