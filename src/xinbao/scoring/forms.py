from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinbao.scoring.models import ItemReview, ManualAdjustment
from xinbao.scoring.rules import normalize_classes, validate_rules


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("扣分类型"), choices=ManualAdjustment.Kind.choices)
    count = forms.IntegerField(label=_("次数"), min_value=1, max_value=99, initial=1)
    occurred_on = forms.DateField(
        label=_("发生日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    """An editor's judgment of an item: its kind and, optionally, every rubric criterion."""

    kind = forms.ChoiceField(label=_("信息类别"), choices=ItemReview.Kind.choices)
    clear = forms.IntegerField(label=_("情况清楚"), min_value=0, max_value=25, required=False)
    accurate = forms.IntegerField(label=_("表述准确"), min_value=0, max_value=25, required=False)
    timely = forms.IntegerField(label=_("时效"), min_value=0, max_value=25, required=False)
    novel = forms.IntegerField(label=_("新意"), min_value=0, max_value=25, required=False)


class RuleSetPageForm(forms.Form):
    """A rule set edited on its page: its name and its rules as JSON text (the same document
    as the ``rules`` of an exported file). Every problem is reported in Chinese; the text the
    editor typed comes back unchanged."""

    name = forms.CharField(label=_("名称"), max_length=100)
    rules = forms.CharField(
        label=_("计分规则(JSON)"),
        widget=forms.Textarea(attrs={"rows": 28, "class": "mono", "spellcheck": "false"}),
        help_text=_("各项含义见页面下方说明;单位类别可写代码(dept_a)或中文(县直部门A类)。"),
    )

    def clean_rules(self) -> dict[str, Any]:
        text = self.cleaned_data["rules"]
        try:
            data = json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(
                _("计分规则不是有效的 JSON:%(error)s") % {"error": error}
            ) from error
        rules = normalize_classes(data)
        errors = validate_rules(rules)
        if errors or not isinstance(rules, dict):
            raise forms.ValidationError(errors)
        return rules
