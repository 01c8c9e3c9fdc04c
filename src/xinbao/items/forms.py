from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Category, Item, State, Urgency
from xinbao.items.queries import ItemFilter
from xinbao.items.services import BODY_MAX, KEEP, TITLE_MAX, ItemData
from xinbao.orgs.models import Role, Unit, User
from xinbao.topics.models import Topic
from xinbao.web.widgets import FastSelect

if TYPE_CHECKING:
    pass


class ItemForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("正文"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("每段一行;系统自动去掉空行。不支持排版代码。"),
    )
    category = forms.ModelChoiceField(
        label=_("类别"), queryset=Category.objects.filter(is_active=True), empty_label=None
    )
    urgency = forms.TypedChoiceField(
        label=_("紧急程度"), choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL
    )
    event_date = forms.DateField(
        label=_("事件日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    event_time = forms.DateTimeField(
        label=_("事件发生时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("紧急、特急信息请填写,报送时限从此时算起。"),
    )
    topic = forms.ModelChoiceField(
        label=_("回复约稿"),
        queryset=Topic.objects.none(),
        required=False,
        empty_label=_("(不是回复约稿)"),
    )
    keywords = forms.CharField(label=_("关键词"), max_length=200, required=False)
    is_internal = forms.BooleanField(
        label=_("内部信息,不宜公开"),
        required=False,
        help_text=_("勾选后,这条信息永远不会出现在网站专栏等公开页面。"),
    )
    authors = forms.ModelMultipleChoiceField(
        label=_("作者"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    co_units = forms.ModelMultipleChoiceField(
        label=_("联合报送单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(
        self,
        *args: Any,
        unit: Unit,
        editor_mode: bool = False,
        item: Item | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editor_mode:
            # The editor changes the text, category and urgency; authorship and the topic the
            # item answers stay the unit's.
            del self.fields["authors"]
            del self.fields["co_units"]
            del self.fields["topic"]
            return
        self.limit_topics(unit, item)
        self.fields["authors"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            unit=unit, role=Role.OFFICER, is_active=True
        ).order_by("username")
        self.fields["co_units"].queryset = (  # type: ignore[attr-defined]
            Unit.objects.filter(department_id=unit.department_id, is_active=True)
            .exclude(pk=unit.pk)
            .exclude(kind=Unit.Kind.ORG_DEPT)
            .order_by("sort_order", "code")
        )

    def limit_topics(self, unit: Unit, item: Item | None) -> None:
        """Offer the open topics sent to the unit; once the item has left the unit, show its
        topic without letting it change. No topics to offer: no field."""
        from xinbao.topics.queries import answerable_topics  # topics builds on items

        current = item.topic_id if item is not None else None
        field = self.fields["topic"]
        if item is not None and item.state != State.DRAFT:
            field.queryset = Topic.objects.filter(pk=current or 0)  # type: ignore[attr-defined]
            field.disabled = True
        else:
            field.queryset = Topic.objects.filter(  # type: ignore[attr-defined]
                Q(pk__in=answerable_topics(unit).values("pk")) | Q(pk=current or 0)
            ).order_by("deadline", "id")
        if current is None and not field.queryset.exists():  # type: ignore[attr-defined]
            del self.fields["topic"]

    @classmethod
    def initial_for(cls, item: Item) -> dict[str, Any]:
        return {
            "title": item.title,
            "body": item.body,
            "category": item.category_id,
            "urgency": item.urgency,
            "event_date": item.event_date,
            "event_time": item.event_time,
            "topic": item.topic_id,
            "keywords": item.keywords,
            "is_internal": item.is_internal,
            "authors": list(item.authors.all()),
            "co_units": list(item.co_units.all()),
        }

    def to_data(self) -> ItemData:
        d = self.cleaned_data
        topic = d.get("topic")
        # No topic field (the editor's form, nothing to answer): the item's topic stays as it is.
        topic_id = topic.pk if topic else (None if "topic" in self.fields else KEEP)
        return ItemData(
            title=d["title"],
            body=d["body"],
            category=d["category"],
            urgency=d["urgency"],
            event_date=d.get("event_date"),
            event_time=d.get("event_time"),
            topic_id=topic_id,
            keywords=d.get("keywords", ""),
            is_internal=bool(d.get("is_internal")),
            authors=list(d.get("authors") or []),
            co_units=list(d.get("co_units") or []),
        )


class DocxStartForm(forms.Form):
    file = forms.FileField(label=_("Word 文件(.docx)"))


class MoveForm(forms.Form):
    action = forms.CharField(max_length=20)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
    # The officer's name, typed to confirm the 保密审查 of an item with findings.
    secrecy_name = forms.CharField(required=False, max_length=150)


class SecrecyTermsForm(forms.Form):
    terms = forms.CharField(
        label=_("内部用语"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("每行一个;报送前的保密自查会提示正文、标题和附件中出现的这些用语。"),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"))


class InboxFilterForm(forms.Form):
    # FastSelect: the same markup as forms.Select, without a template per option.
    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("全部"),
        widget=FastSelect,
    )
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("全部"),
        widget=FastSelect,
    )
    state = forms.ChoiceField(label=_("状态"), required=False, widget=FastSelect)
    date_from = forms.DateField(
        label=_("报送起"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("报送止"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    urgent_only = forms.BooleanField(label=_("只看紧急"), required=False)

    def __init__(self, *args: Any, department: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            department=department
        ).order_by("sort_order", "code")
        self.fields["state"].choices = [  # type: ignore[attr-defined]
            ("", _("待处理")),
            *[(s.value, s.label) for s in State if s not in (State.DRAFT, State.PENDING_SIGNOFF)],
        ]

    def to_filter(self) -> ItemFilter:
        if not self.is_valid():
            return ItemFilter()
        d = self.cleaned_data
        return ItemFilter(
            unit_id=d["unit"].pk if d.get("unit") else None,
            category_id=d["category"].pk if d.get("category") else None,
            state=d.get("state") or None,
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            urgent_only=bool(d.get("urgent_only")),
        )
