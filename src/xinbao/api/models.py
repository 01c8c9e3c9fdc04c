"""Access tokens for the REST API.

A token is ``xb_`` followed by 32 random bytes (URL-safe base64). Only its SHA-256 digest is
stored, with a short prefix so its owner can tell tokens apart in a list; the token itself is
shown once, when it is issued, and cannot be recovered. A token works until it expires or is
revoked, and only while its owner's account is active.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(_("前缀"), max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # The owner's ``otp_epoch`` when the token was issued (R08): a device added, removed or
    # re-keyed, or a new password, raises the owner's epoch and so ends every token issued
    # before, as it ends the web sessions' second factor.
    otp_epoch = models.PositiveIntegerField(_("动态口令代次"), default=0, db_default=0)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["user", "-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: datetime.datetime | None = None) -> bool:
        """Not revoked, not expired, the owner's account active, and issued at the owner's
        current second-factor epoch."""
        now = now or timezone.now()
        return (
            self.revoked_at is None
            and self.expires_at > now
            and self.user.is_active
            and self.otp_epoch == self.user.otp_epoch
        )
