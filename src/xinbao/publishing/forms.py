from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xinbao.publishing.models import ExternalAdoption, Level


class IssueMetaForm(forms.Form):
    title = forms.CharField(label=_("本期标题"), max_length=100, required=False)
    issue_date = forms.DateField(
        label=_("出刊日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    compiler = forms.CharField(label=_("编辑"), max_length=50, required=False)
    signer = forms.CharField(label=_("签发"), max_length=50, required=False)
    distribution = forms.CharField(
        label=_("发送范围"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项,如“报送:市委组织部。”"),
    )


class EntryForm(forms.Form):
    headline = forms.CharField(label=_("刊发标题"), max_length=200)
    text = forms.CharField(label=_("刊发正文"), widget=forms.Textarea(attrs={"rows": 10}))
    editor_note = forms.CharField(
        label=_("编者按"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source_line = forms.CharField(label=_("供稿单位"), max_length=100, required=False)


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=_("更正原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ForwardForm(forms.Form):
    note = forms.CharField(
        label=_("转报说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ForwardingDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("adopt", _("采用")), ("decline", _("不采用"))])
    comment = forms.CharField(
        label=_("意见"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExternalAdoptionForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ExternalAdoption.Kind.choices)
    level = forms.ChoiceField(label=_("级别"), choices=Level.choices)
    outlet = forms.CharField(label=_("刊物或媒体"), max_length=100)
    issue_label = forms.CharField(label=_("期次或版面"), max_length=100, required=False)
    adopted_on = forms.DateField(
        label=_("采用日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    scan = forms.FileField(label=_("扫描件"), required=False)


class InstructionForm(forms.Form):
    level = forms.ChoiceField(label=_("领导级别"), choices=Level.choices)
    leader_title = forms.CharField(label=_("领导职务"), max_length=60)
    leader_name = forms.CharField(label=_("领导姓名"), max_length=30, required=False)
    instructed_on = forms.DateField(
        label=_("批示日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    text = forms.CharField(label=_("批示内容"), widget=forms.Textarea(attrs={"rows": 3}))
    feedback_due_on = forms.DateField(
        label=_("反馈期限"),
        required=False,
        help_text=_("需要单位反馈落实情况时填写;到期前和逾期时会提醒单位。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class InstructionFeedbackForm(forms.Form):
    text = forms.CharField(
        label=_("反馈内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("批示精神的落实情况、采取的措施和取得的效果。"),
    )
