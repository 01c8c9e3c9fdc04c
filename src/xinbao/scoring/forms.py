from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xinbao.scoring.models import ManualAdjustment


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("扣分类型"), choices=ManualAdjustment.Kind.choices)
    count = forms.IntegerField(label=_("次数"), min_value=1, max_value=99, initial=1)
    occurred_on = forms.DateField(
        label=_("发生日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 2}))
