from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinbao.notify.models import Kind, Notice
from xinbao.notify.services import NoticeData
from xinbao.topics.forms import TargetingForm

CATEGORIES = [(c.value, c.label) for c in Notice.Category if c != Notice.Category.ISSUE]


class EmailPreferenceForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("以下消息同时发送邮件"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("机器人地址"),
        max_length=500,
        required=False,
        help_text=_("企业微信、钉钉等群机器人的 Webhook 地址;留空即不再推送。"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class RecipientsForm(TargetingForm):
    """Whom a notice (or the 分发 of an issue) goes to."""

    targeting_choices = Notice.Targeting.choices
    targeting_initial = Notice.Targeting.ALL
    targeting_labels = (_("发送对象"), _("单位类型(按类发送时)"), _("指定单位(指定单位发送时)"))


class NoticeForm(RecipientsForm):
    category = forms.ChoiceField(label=_("类别"), choices=CATEGORIES)
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(
        label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = MultipleFileField(
        label=_("附件"),
        required=False,
        help_text=_("Word(.docx)、PDF 或图片,可选多个。"),
    )

    field_order = ["category", "title", "body", "attachments", "targeting", "target_kind", "units"]

    def to_data(self) -> NoticeData:
        d = self.cleaned_data
        return NoticeData(
            category=d["category"],
            title=d["title"],
            body=d.get("body", ""),
            **self.targeting_data(),
        )
