"""Idempotency keys of API writes: a retried request gets the first answer, never a second item."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("操作"), max_length=60)  # e.g. "items.create"
    key = models.CharField(_("幂等键"), max_length=100)
    request_digest = models.CharField(max_length=64)  # SHA-256 of the request body
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="ops_idempotency_once")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
