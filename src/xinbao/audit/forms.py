from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xinbao.audit.queries import AuditFilter


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("事件(前缀)"), max_length=60, required=False)
    actor = forms.CharField(label=_("操作人账号"), max_length=150, required=False)
    date_from = forms.DateField(
        label=_("起始日期"),
        required=False,
        error_messages={"invalid": _("请输入日期,如 2026-01-31。")},
    )
    date_to = forms.DateField(
        label=_("截止日期"),
        required=False,
        error_messages={"invalid": _("请输入日期,如 2026-01-31。")},
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data

    def condition(self) -> AuditFilter:
        """The filter the valid fields give; an invalid form filters nothing out."""
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilter(
            action=(data.get("action") or "").strip(),
            actor=(data.get("actor") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
