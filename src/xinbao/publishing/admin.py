from __future__ import annotations

from django.contrib import admin

from xinbao.publishing.models import Publication


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "department",
        "kind",
        "last_year",
        "last_number",
        "last_total_number",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "department__name")
    list_select_related = ("department",)
    autocomplete_fields = ("department",)
    fields = (
        "department",
        "name",
        "kind",
        "distribution",
        "is_active",
        "sort_order",
        "last_year",
        "last_number",
        "last_total_number",
    )

    def get_readonly_fields(self, request: object, obj: Publication | None = None) -> tuple:
        # The counters may be set once, when a running publication is brought in; after its
        # first issue in xinbao only issue_publish advances them.
        if obj is not None and obj.issues.exclude(number=None).exists():
            return ("last_year", "last_number", "last_total_number")
        return ()

    def has_delete_permission(self, request: object, obj: Publication | None = None) -> bool:
        return False
