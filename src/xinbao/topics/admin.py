"""Admin pages: the key-work tree is editable here as well as on the editors' page; topics and
their targets are shown read-only (their facts come from the workflow, never typed in)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from xinbao.topics.models import KeyWorkArea, Topic, TopicTarget


@admin.register(KeyWorkArea)
class KeyWorkAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "year", "parent", "sort_order", "is_active")
    list_filter = ("year", "is_active")
    search_fields = ("name", "department__name")
    list_select_related = ("department", "parent")
    autocomplete_fields = ("department",)
    fields = ("department", "year", "parent", "name", "description", "sort_order", "is_active")


class TopicTargetInline(admin.TabularInline):
    model = TopicTarget
    extra = 0
    can_delete = False
    fields = ("unit", "read_at", "declined_at", "decline_reason", "answered_at", "outcome")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("title", "department", "deadline", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("title",)
    list_select_related = ("department",)
    inlines = [TopicTargetInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Topic | None = None) -> list[str]:
        return [f.name for f in Topic._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Topic | None = None) -> bool:
        return False
