"""Admin pages: rule sets are edited here (the rules as JSON text, validated on save); deduction
facts are shown read-only (editors record them on the statement page, with an audit record);
the ledger itself is derived and has no admin page."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xinbao.audit.services import audit_record
from xinbao.scoring import signals
from xinbao.scoring.models import ManualAdjustment, RuleSet
from xinbao.scoring.rules import validate_rules


class IndentedJSONField(forms.JSONField):
    """Shows the rules indented, one figure a line, so the text is editable by a person."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class RuleSetForm(forms.ModelForm):
    rules = IndentedJSONField(
        label=_("计分规则"),
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "style": "font-family: monospace"}),
        help_text=_("JSON 格式;各项含义见开发文档 scoring/rules.py。保存时逐项检查。"),
    )

    class Meta:
        model = RuleSet
        fields = ("department", "year", "name", "rules")

    def clean_rules(self) -> Any:
        rules = self.cleaned_data["rules"]
        errors = validate_rules(rules)
        if errors:
            raise forms.ValidationError(errors)
        return rules


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    list_display = ("name", "department", "year", "updated_at")
    list_filter = ("year",)
    search_fields = ("name", "department__name")
    list_select_related = ("department",)
    autocomplete_fields = ("department",)

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="ruleset.update" if change else "ruleset.create",
            obj=obj,
            changes={"year": obj.year, "name": obj.name},
        )
        signals.note("ruleset", obj.department_id, obj.year)  # the year's ledger follows


@admin.register(ManualAdjustment)
class ManualAdjustmentAdmin(admin.ModelAdmin):
    list_display = ("unit", "kind", "count", "occurred_on", "created_by", "revoked_at")
    list_filter = ("year", "kind")
    search_fields = ("unit__name", "reason")
    list_select_related = ("unit", "created_by")

    def get_readonly_fields(
        self, request: HttpRequest, obj: ManualAdjustment | None = None
    ) -> list[str]:
        return [f.name for f in ManualAdjustment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ManualAdjustment | None = None
    ) -> bool:
        return False
