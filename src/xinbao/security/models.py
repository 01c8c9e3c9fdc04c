from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PasswordHistory(models.Model):
    """A user's previous password hashes (never the plain text), for the no-reuse rule (R03)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("口令散列"), max_length=256)
    created = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("历史口令")
        verbose_name_plural = _("历史口令")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created:%Y-%m-%d}"


class UserSession(models.Model):
    """One signed-in session, written at login so that a user can list and end theirs (R07)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(_("会话标识"), max_length=40, unique=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    created = models.DateTimeField(_("登录时间"), auto_now_add=True)
    last_seen = models.DateTimeField(_("最近活动"), auto_now_add=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip or '-'} {self.created:%Y-%m-%d %H:%M}"
