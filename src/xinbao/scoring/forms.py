from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xinbao.scoring.models import ItemReview, ManualAdjustment


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
