"""Forms of the officer-team pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Category
from xinbao.orgs.models import Attendance, Unit, User

DATE = forms.DateInput(attrs={"type": "date"})


def today() -> object:
    return timezone.localdate()


class AppointForm(forms.Form):
    username = forms.CharField(label=_("信息员账号"), max_length=150)
    rank = forms.ChoiceField(label=_("类别"), choices=User.OfficerRank.choices)
    post = forms.CharField(label=_("职务"), max_length=60, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    appointed_on = forms.DateField(label=_("任命日期"), widget=DATE, initial=today)


class MoveForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("调入单位"), queryset=Unit.objects.none())
    occurred_on = forms.DateField(label=_("日期"), widget=DATE, initial=today)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: object, department_id: int | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own arguments
        units = Unit.objects.filter(department_id=department_id, is_active=True).exclude(
            kind=Unit.Kind.ORG_DEPT
        )
        self.fields["to_unit"].queryset = units.order_by("sort_order", "code")  # type: ignore[attr-defined]


class RankForm(forms.Form):
    rank = forms.ChoiceField(label=_("类别"), choices=User.OfficerRank.choices)
    post = forms.CharField(label=_("职务"), max_length=60, required=False)
    occurred_on = forms.DateField(label=_("日期"), widget=DATE, initial=today)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class LeaveForm(forms.Form):
    occurred_on = forms.DateField(label=_("离任日期"), widget=DATE, initial=today)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class TrainingForm(forms.Form):
    held_on = forms.DateField(label=_("日期"), widget=DATE)
    topic = forms.CharField(label=_("主题"), max_length=200)
    trainer = forms.CharField(label=_("授课人"), max_length=100, required=False)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("内容摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200, required=False)
    url = forms.URLField(label=_("链接"), max_length=500, required=False, assume_scheme="https")
    upload = forms.FileField(label=_("文件"), required=False)


STATUS_CHOICES = [("", "—"), *Attendance.Status.choices]


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("起"), widget=DATE, required=False)
    date_to = forms.DateField(label=_("止"), widget=DATE, required=False)


class ExemplaryChooseForm(forms.Form):
    item_id = forms.IntegerField(label=_("信息编号"), min_value=1)
    commentary = forms.CharField(label=_("点评"), widget=forms.Textarea(attrs={"rows": 3}))


class ExemplarySearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), max_length=100, required=False)
    category = forms.ModelChoiceField(
        label=_("类别"), queryset=Category.objects.filter(is_active=True), required=False
    )
