"""The security administrator's admin pages (三员分立, R13): signed-in sessions can be listed and
ended. Deleting a row also deletes the session itself, so the person is signed out."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.http import HttpRequest

from xinbao.audit.services import audit_record
from xinbao.security.models import UserSession


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "ip", "user_agent", "created", "last_seen")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    # never the session key itself: it is a bearer secret (R06)
    fields = readonly_fields = ("user", "ip", "user_agent", "created", "last_seen")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: UserSession) -> None:
        Session.objects.filter(session_key=obj.session_key).delete()
        audit_record(actor=request.user, action="session.ended_by_admin", obj=obj.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UserSession]) -> None:
        for row in queryset:
            self.delete_model(request, row)
