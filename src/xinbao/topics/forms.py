from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinbao.orgs.models import Unit
from xinbao.topics.models import KeyWorkArea, Topic
from xinbao.topics.queries import key_work_tree
from xinbao.topics.services import AreaData, TopicData, member_units

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
else:
    StrOrPromise = str

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
TARGET_KINDS = [
    (Unit.Kind.TOWNSHIP.value, Unit.Kind.TOWNSHIP.label),
    (Unit.Kind.DEPARTMENT.value, Unit.Kind.DEPARTMENT.label),
    (Unit.Kind.OTHER.value, Unit.Kind.OTHER.label),
]


def datetime_local(**attrs: Any) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}, format=DATETIME_LOCAL)


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.year} · {obj.name}"


class TargetingForm(forms.Form):
    """Whom a topic or a notice goes to (the targeting service is ``topics.services``): a choice
    of ``targeting``, a unit kind when the choice is a kind, or a list of the department's units.
    Subclasses give the choices, the initial choice and the three labels."""

    targeting_choices: ClassVar[Sequence[tuple[str, StrOrPromise]]]
    targeting_initial: ClassVar[str]
    # (targeting, target_kind, units): the labels name the act, 约稿 or 发送.
    targeting_labels: ClassVar[tuple[StrOrPromise, StrOrPromise, StrOrPromise]]

    targeting = forms.ChoiceField(widget=forms.RadioSelect)
    target_kind = forms.ChoiceField(choices=TARGET_KINDS, required=False)
    units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, department: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targeting = self.fields["targeting"]
        targeting.choices = self.targeting_choices  # type: ignore[attr-defined]
        targeting.initial = self.targeting_initial
        for name, label in zip(
            ("targeting", "target_kind", "units"), self.targeting_labels, strict=True
        ):
            self.fields[name].label = label
        members = [u.pk for u in member_units(department)]
        self.fields["units"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            pk__in=members
        ).order_by("kind", "sort_order", "code")

    def targeting_data(self) -> dict[str, Any]:
        """The cleaned targeting, as the services' data classes take it."""
        d = self.cleaned_data
        return {
            "targeting": d["targeting"],
            "target_kind": d.get("target_kind", ""),
            "units": list(d.get("units") or []),
        }


class TopicForm(TargetingForm):
    targeting_choices = Topic.Targeting.choices
    targeting_initial = Topic.Targeting.TOWNSHIPS
    targeting_labels = (_("约稿对象"), _("单位类型(按类约稿时)"), _("指定单位(指定单位约稿时)"))

    title = forms.CharField(label=_("题目"), max_length=200)
    wanted = forms.CharField(
        label=_("约稿内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("需要反映什么情况、回答什么问题。"),
    )
    requirements = forms.CharField(
        label=_("写作要求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如字数、角度、须附的数据或案例。"),
    )
    deadline = forms.DateTimeField(label=_("截止时间"), widget=datetime_local())
    key_work_area = AreaChoiceField(
        label=_("工作要点"),
        queryset=KeyWorkArea.objects.none(),
        required=False,
        empty_label=_("(不关联)"),
    )

    field_order = [
        "title",
        "wanted",
        "requirements",
        "deadline",
        "targeting",
        "target_kind",
        "units",
        "key_work_area",
    ]

    def __init__(self, *args: Any, department: Unit, **kwargs: Any) -> None:
        super().__init__(*args, department=department, **kwargs)
        self.fields["key_work_area"].queryset = KeyWorkArea.objects.filter(  # type: ignore[attr-defined]
            department=department, is_active=True, year__gte=timezone.localdate().year - 1
        ).order_by("-year", "sort_order", "id")

    def to_data(self) -> TopicData:
        d = self.cleaned_data
        return TopicData(
            title=d["title"],
            wanted=d["wanted"],
            requirements=d.get("requirements", ""),
            deadline=d["deadline"],
            key_work_area=d.get("key_work_area"),
            **self.targeting_data(),
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("不报原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class AreaForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    parent = forms.ModelChoiceField(
        label=_("上级要点"),
        queryset=KeyWorkArea.objects.none(),
        required=False,
        empty_label=_("(顶层)"),
    )
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        department: Unit,
        year: int,
        exclude: KeyWorkArea | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.year = year
        tree = key_work_tree(department, year)
        below = descendants(tree, exclude) if exclude is not None else set()
        field = self.fields["parent"]
        field.queryset = KeyWorkArea.objects.filter(  # type: ignore[attr-defined]
            department=department, year=year
        ).exclude(pk__in=below)
        field.choices = [("", _("(顶层)"))] + [  # type: ignore[attr-defined]
            (area.pk, "\u3000" * depth + area.name) for area, depth in tree if area.pk not in below
        ]

    def to_data(self) -> AreaData:
        d = self.cleaned_data
        return AreaData(
            name=d["name"],
            year=self.year,
            parent=d.get("parent"),
            description=d.get("description", ""),
            sort_order=d.get("sort_order") or 0,
            is_active=bool(d.get("is_active")),
        )


def descendants(tree: list[tuple[KeyWorkArea, int]], root: KeyWorkArea) -> set[int]:
    """``root`` and every area below it, from a tree in walk order."""
    found: set[int] = set()
    inside_depth: int | None = None
    for area, depth in tree:
        if inside_depth is not None and depth <= inside_depth:
            inside_depth = None
        if area.pk == root.pk:
            inside_depth = depth
        if inside_depth is not None:
            found.add(area.pk)
    return found
