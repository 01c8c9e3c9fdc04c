from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xinbao.audit.services import audit_record
from xinbao.orgs.models import Unit, User
from xinbao.orgs.services import unit_save


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
