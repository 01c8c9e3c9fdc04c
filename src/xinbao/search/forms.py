from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Category, State, Urgency
from xinbao.items.services import BODY_MAX, TITLE_MAX
from xinbao.orgs.models import DEPARTMENT_ROLES, Unit, User
from xinbao.search.queries import Adoption, Order, SearchFilters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ANY = ("", _("不限"))


def units_for(user: User) -> QuerySet[Unit]:
    """The units worth offering in the unit filters: for an editor or department leader, the
    units reporting to their department; for a unit's people, their own unit."""
    if user.unit_id is None:
        return Unit.objects.none()
    if user.role in DEPARTMENT_ROLES:
        return Unit.objects.filter(department_id=user.unit_id).order_by("sort_order", "code")
    return Unit.objects.filter(pk=user.unit_id)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("输入关键词")}),
    )
    unit = forms.ModelChoiceField(
        label=_("单位"), queryset=Unit.objects.none(), required=False, empty_label=_("不限")
    )
    exclude_unit = forms.ModelChoiceField(
        label=_("排除单位"), queryset=Unit.objects.none(), required=False, empty_label=_("不排除")
    )
    unit_kind = forms.ChoiceField(
        label=_("单位类型"),
        required=False,
        choices=[ANY, (Unit.Kind.TOWNSHIP, _("乡镇")), (Unit.Kind.DEPARTMENT, _("部门"))],
    )
    category = forms.ModelChoiceField(
        label=_("类别"), queryset=Category.objects.all(), required=False, empty_label=_("不限")
    )
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[ANY, *State.choices])
    urgency = forms.TypedChoiceField(
        label=_("紧急程度"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[ANY, *Urgency.choices],
    )
    adoption = forms.ChoiceField(
        label=_("采用情况"), required=False, choices=[ANY, *Adoption.choices]
    )
    date_from = forms.DateField(label=_("报送起"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("报送止"), required=False, widget=DATE)
    order = forms.ChoiceField(label=_("排序"), required=False, choices=Order.choices)

    ADVANCED = (
        "unit",
        "exclude_unit",
        "unit_kind",
        "category",
        "state",
        "urgency",
        "adoption",
        "date_from",
        "date_to",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_for(user)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["exclude_unit"].queryset = units  # type: ignore[attr-defined]

    def advanced_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ADVANCED]

    @property
    def uses_advanced(self) -> bool:
        if not (self.is_bound and self.is_valid()):
            return False
        return any(self.cleaned_data.get(name) not in (None, "") for name in self.ADVANCED)

    @property
    def has_search(self) -> bool:
        """Whether anything was asked: words or any filter."""
        return (
            self.is_bound
            and self.is_valid()
            and (bool(self.cleaned_data.get("q", "").strip()) or self.uses_advanced)
        )

    def to_filters(self) -> SearchFilters:
        d = self.cleaned_data
        return SearchFilters(
            unit_id=d["unit"].pk if d.get("unit") else None,
            exclude_unit_id=d["exclude_unit"].pk if d.get("exclude_unit") else None,
            unit_kind=d.get("unit_kind") or None,
            category_id=d["category"].pk if d.get("category") else None,
            state=d.get("state") or None,
            urgency=d.get("urgency"),
            adoption=d.get("adoption") or None,
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
        )


class DraftCheckForm(forms.Form):
    """Text as the officer types it, checked for near-duplicates before anything is saved
    (``search.views.check_draft``). ``item``: the item being edited, if it is saved already
    (it is not its own duplicate, and its attachments count)."""

    title = forms.CharField(label=_("标题"), max_length=TITLE_MAX, required=False, strip=False)
    body = forms.CharField(label=_("正文"), max_length=BODY_MAX, required=False, strip=False)
    item = forms.IntegerField(required=False, min_value=1)
