"""The append-only audit log.

Rows are only ever inserted (``audit.services.audit_record``). The model refuses updates and
deletes, its queryset refuses bulk ones, and a database trigger (see the migration) refuses them
from any other client, so a record written stays as written. Each record is a link of an
HMAC-SM3 chain (``audit.chain``), so a change made around the triggers is detected too.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("audit records cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("audit records cannot be deleted")


class AuditRecord(models.Model):
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=60)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    changes = models.JSONField(_("变更摘要"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    role = models.CharField(_("角色"), max_length=16, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    # The chain (audit.chain): position without gaps, and HMAC-SM3 over the previous MAC and this
    # record's canonical content. Null only for rows written around audit_record (reported).
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    mac = models.CharField(_("校验码"), max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"]),
            models.Index(fields=["actor", "at"]),
            models.Index(fields=["action", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly("audit records cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("audit records cannot be deleted")


class AuditChainHead(models.Model):
    """One row (pk 1): the newest link. Writers lock it, so the chain has one order."""

    seq = models.PositiveBigIntegerField(default=0)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"seq {self.seq}"


class AuditAnchor(models.Model):
    """Where the chain starts after a purge: the last removed record's ``seq`` and ``mac``."""

    seq = models.PositiveBigIntegerField(unique=True)
    mac = models.CharField(max_length=64)
    purged_before = models.DateTimeField()
    purged_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("审计链锚点")
        verbose_name_plural = _("审计链锚点")

    def __str__(self) -> str:
        return f"anchor seq {self.seq}"


class AuditPrechainSeal(models.Model):
    """One row (pk 1), only on installations upgraded with audit records from before the chain
    (``seq`` NULL): the HMAC-SM3 seal over those records that ``xinbao backfill`` computes in
    batches (``audit.prechain``). ``boundary_id``: the pre-chain records are the unchained ones
    up to this id (any unchained record after it was written around ``audit_record``);
    ``last_id``, ``count`` and ``mac``: how far the sealing got and its running MAC;
    ``checkpoints``: ``[last id, count, mac]`` after each batch, so ``verify`` can name the id
    range of a changed record; ``sealed_at``: when the seal was completed and recorded in the
    chain (``audit.prechain_sealed``)."""

    boundary_id = models.PositiveBigIntegerField(default=0)
    last_id = models.PositiveBigIntegerField(default=0)
    count = models.PositiveBigIntegerField(default=0)
    mac = models.CharField(max_length=64, blank=True)
    checkpoints = models.JSONField(default=list, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("链前审计记录封存")
        verbose_name_plural = _("链前审计记录封存")

    def __str__(self) -> str:
        return f"prechain seal ≤ id {self.boundary_id}"
