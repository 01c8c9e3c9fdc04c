"""Bulk transfers into the system: a historical import job and the documents it brought in.

``ImportedDocument`` is unique per department and file digest, so running an import again (after
a crash, or with a folder that grew) brings in only what is not there yet.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Item
from xinbao.orgs.models import Unit


class HistoricalImport(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未完成")

    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=200)
    total = models.PositiveIntegerField(_("文件数"))
    done = models.PositiveIntegerField(_("已导入"), default=0)
    skipped = models.PositiveIntegerField(_("已存在而跳过"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    error = models.TextField(_("错误"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("历史信息导入")
        verbose_name_plural = _("历史信息导入")
        indexes = [models.Index(fields=["department", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.source} ({self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * (self.done + self.skipped) / self.total)


class ImportedDocument(models.Model):
    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    digest = models.CharField(max_length=64)
    file_name = models.CharField(max_length=255)
    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="imported_from")
    job = models.ForeignKey(HistoricalImport, on_delete=models.PROTECT, related_name="documents")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["department", "digest"], name="imported_document_once_per_department"
            )
        ]

    def __str__(self) -> str:
        return self.file_name


class DepartmentExport(models.Model):
    """A department archive made in the background (``transfer.exports``): queued by an editor
    on the page or through the API, written by the worker, downloaded from the page. Progress
    (``done`` of ``total`` rows, kinds finished) is written while the export runs through a
    connection of its own, so others see it although the export reads from one snapshot.

    The archive holds personal data: ``XINBAO_EXPORT_RETENTION_DAYS`` after it finished (or
    failed) the periodic jobs delete its file and mark it ``expired``; the editor who made it
    may delete it sooner (``deleted``). The row stays, with ``removed_at``, as the record."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")
        DELETED = "deleted", _("已删除")

    FINISHED = (Status.DONE, Status.FAILED)  # what retention and the editor may remove
    REMOVED = (Status.EXPIRED, Status.DELETED)

    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("总行数"), default=0)
    done = models.PositiveIntegerField(_("已导出行数"), default=0)
    kinds_total = models.PositiveSmallIntegerField(_("数据种类"), default=0)
    kinds_done = models.PositiveSmallIntegerField(_("已完成种类"), default=0)
    current = models.CharField(_("正在导出"), max_length=40, blank=True)
    file = models.FileField(_("归档文件"), upload_to="exports/%Y/%m/", blank=True)
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    sm3 = models.CharField(_("SM3 摘要"), max_length=64, blank=True)
    error = models.TextField(_("错误"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    # Written with the progress while the export runs: a running job whose heartbeat stopped
    # (the worker died) is failed by ``exports.abandon_stale_exports``, so it blocks no new one.
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    removed_at = models.DateTimeField(_("归档删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门数据导出")
        verbose_name_plural = _("部门数据导出")
        indexes = [
            models.Index(fields=["department", "-started_at"]),
            # The retention job's walk: finished or failed, oldest first.
            models.Index(fields=["status", "finished_at"], name="transfer_export_retention"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return 0 if not self.total else min(99, int(100 * self.done / self.total))

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def removable(self) -> bool:
        """Finished or failed: its maker may delete it, retention will."""
        return self.status in self.FINISHED

    @property
    def current_label(self) -> str:
        """The kind being written, by its Chinese name (``current`` holds the archive's name)."""
        from xinbao.transfer.archive.format import KINDS  # it imports the models of every app

        names = {kind.name: str(kind.model._meta.verbose_name) for kind in KINDS}
        return names.get(self.current, self.current)
