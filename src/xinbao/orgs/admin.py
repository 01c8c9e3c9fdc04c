from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from xinbao.audit.services import audit_record
from xinbao.orgs.importing import MAX_BYTES, UnitImportError, unit_import
from xinbao.orgs.models import Unit, User
from xinbao.orgs.services import unit_save


class UnitImportForm(forms.Form):
    file = forms.FileField(
        label=_("表格文件"),
        help_text=_(
            "支持 .xlsx 和 .csv(UTF-8 或 GB18030 编码)。第一行为列名:代码、名称、类型、上级代码,"
            "可选 级别、需签发、启用、简称,以及 信息员账号、信息员姓名、信息员类别、联系电话。"
        ),
    )
    dry_run = forms.BooleanField(label=_("仅预览(dry run)"), required=False, initial=True)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB。") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        return upload


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "level",
        "parent",
        "department",
        "requires_signoff",
        "is_active",
    )
    list_filter = ("kind", "level", "is_active", "requires_signoff")
    search_fields = ("code", "name", "short_name")
    list_select_related = ("parent", "department")
    autocomplete_fields = ("parent",)
    readonly_fields = ("path", "department")
    list_per_page = 50
    change_list_template = "admin/orgs/unit/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        # Before the model's own URLs, whose "<path:object_id>/" would otherwise match.
        import_url = path(
            "import/", self.admin_site.admin_view(self.import_view), name="orgs_unit_import"
        )
        return [import_url, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a spreadsheet; preview the plan (dry run) or import it, or list the bad rows."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        posted = request.method == "POST"
        form = UnitImportForm(request.POST, request.FILES) if posted else UnitImportForm()
        result, errors = None, None
        if posted and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = unit_import(
                    data=upload.read(),
                    actor=cast(User, request.user),  # admin_view lets only staff users in
                    filename=upload.name or "",
                    dry_run=form.cleaned_data["dry_run"],
                )
            except UnitImportError as exc:
                errors = exc.shown
            else:
                if not result.dry_run:
                    self.message_user(request, result.summary(), messages.SUCCESS)
                    return redirect("admin:orgs_unit_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("从表格导入单位"),
            "form": form,
            "result": result,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/orgs/unit/import.html", context)

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        unit_save(unit=obj, actor=request.user, action="unit.change" if change else "unit.create")  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Unit | None = None) -> bool:
        return False  # units are deactivated, never deleted: items and scores refer to them


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "full_name",
        "role",
        "unit",
        "officer_rank",
        "is_active",
        "last_login",
    )
    list_filter = ("role", "officer_rank", "is_active")
    search_fields = ("username", "full_name", "unit__name")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("身份"),
            {"fields": ("full_name", "role", "unit", "officer_rank", "post", "phone", "language")},
        ),
        (_("状态"), {"fields": ("is_active", "must_change_password", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "role", "unit", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="user.change" if change else "user.create",
            obj=obj,
            changes={
                field: str(form.cleaned_data.get(field))
                for field in form.changed_data
                if "password" not in field
            },
        )

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # accounts are disabled, never deleted: the audit trail names them
