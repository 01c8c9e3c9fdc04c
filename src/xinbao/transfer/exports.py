"""The department archive as background work: an editor queues it, the worker writes it, the
page and the API show its progress and hand out the file.

Who may: the department's editors, for their own department only (``check_exporter``). The
archive holds everything the department's information work has, its officers' contact data
included, which the department's editors already see in full; department leaders read, they do
not operate the system, and the three administrators have no business data (三员分立: the
system administrator backs up the whole installation on the server, ``xinbao backup``, but does
not take one department's data away). Every step is audited: queued
(``department.export_started``), written (``department.export``, by ``department_export``),
failed (``department.export_failed``), each download (``department.export_downloaded``) and
the removal of the archive (``department.export_expired`` by the periodic jobs,
``department.export_deleted`` by the editor who made it).

Retention: the archive holds the department's personal data, so it is not kept:
``XINBAO_EXPORT_RETENTION_DAYS`` (7) after the export finished or failed, ``expire_exports`` (a
job of ``xinbao schedule``) deletes the file and marks the job ``expired``; its maker may delete
it sooner (``department_export_delete``). The row stays as the record; its download answers 410.

Interrupted work: a worker that dies mid-export (killed, machine restarted) leaves its job
``running`` and would block every later export of the department. The job's progress carries a
heartbeat (``heartbeat_at``); ``abandon_stale_exports`` (a job of ``xinbao schedule``, and run for
the department before a new export starts) fails a running job silent for ``STALE_RUNNING`` and
a queued job no worker took within ``STALE_QUEUED``, audited as ``department.export_failed``.

Progress: ``department_export`` reads in one transaction (a REPEATABLE READ snapshot on
PostgreSQL, a deferred read transaction on SQLite); what it wrote on its own connection would be
invisible to everyone else until the end. ``ProgressWriter`` therefore writes the job's progress
through a second connection of its own, in autocommit, at most every ``PROGRESS_SECONDS``.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.orgs.models import Role, Unit, User
from xinbao.transfer.archive.export import department_export, export_total
from xinbao.transfer.archive.format import KINDS, ArchiveError
from xinbao.transfer.models import DepartmentExport

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5
EXPIRE_BATCH = 100
STALE_RUNNING = datetime.timedelta(minutes=15)  # progress is written every PROGRESS_SECONDS
STALE_QUEUED = datetime.timedelta(hours=2)


class ExportBusy(InvalidInput):
    """An export of the department is queued or running already."""

    status = 409


def check_exporter(actor: User) -> Unit:
    """The editor's organization department, or ``NotAllowed``."""
    if not actor.is_active or actor.role != Role.EDITOR or not actor.home_unit.is_org_department:
        raise NotAllowed(_("只有组织部门的编辑可以导出本部门的数据。"))
    return actor.home_unit


def department_export_start(*, actor: User) -> DepartmentExport:
    """Queue an export of the actor's department; the worker runs it after commit. One at a
    time per department (``InvalidInput`` while one is queued or running)."""
    department = check_exporter(actor)
    abandon_stale_exports(department=department)
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=department.pk).first()  # one start at a time
        busy = DepartmentExport.objects.filter(
            department=department,
            status__in=[DepartmentExport.Status.QUEUED, DepartmentExport.Status.RUNNING],
        ).exists()
        if busy:
            raise ExportBusy(_("本部门已有一次导出正在进行,请等它完成后再导出。"))
        job = DepartmentExport.objects.create(
            department=department, started_by=actor, kinds_total=len(KINDS)
        )
        audit_record(actor=actor, action="department.export_started", obj=job)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(pk: int) -> None:
    from xinbao.transfer.tasks import export_department

    try:
        export_department.enqueue(pk)
    except Exception:
        logger.exception("could not enqueue department export %s", pk)
        DepartmentExport.objects.filter(pk=pk, status=DepartmentExport.Status.QUEUED).update(
            status=DepartmentExport.Status.FAILED,
            error=_("后台任务队列不可用,导出未能开始,请稍后再试或联系系统管理员。"),
            finished_at=timezone.now(),
        )


class ProgressWriter:
    """``progress(kind, rows)`` for ``department_export`` that updates the job's row where
    others can see it: through a connection of its own when the export runs outside any
    transaction (the worker), on the same connection otherwise (inside a test's transaction
    a second connection could not see the job, nor write on SQLite)."""

    def __init__(self, job: DepartmentExport) -> None:
        self.pk = job.pk
        self.done = 0
        self.kinds: list[str] = []
        self.last = 0.0
        self.own = (
            None if connection.in_atomic_block else connections.create_connection(DEFAULT_DB_ALIAS)
        )

    def __call__(self, kind: str, rows: int) -> None:
        self.done += rows
        if not self.kinds or self.kinds[-1] != kind:
            self.kinds.append(kind)
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            self.write(
                done=self.done,
                kinds_done=len(self.kinds) - 1,
                current=kind[:40],
                heartbeat_at=timezone.now(),
            )

    def write(self, **values: Any) -> None:
        if self.own is None:
            DepartmentExport.objects.filter(pk=self.pk).update(**values)
            return
        quote = self.own.ops.quote_name
        table = quote(DepartmentExport._meta.db_table)
        columns = ", ".join(f"{quote(name)} = %s" for name in values)
        with self.own.cursor() as cursor:
            sql = f"UPDATE {table} SET {columns} WHERE id = %s"  # noqa: S608 - model's own columns
            cursor.execute(sql, [*values.values(), self.pk])  # nosec B608 - values are parameters

    def close(self) -> None:
        if self.own is not None:
            self.own.close()


def department_export_run(job_id: int) -> DepartmentExport | None:
    """The worker's part: claim the queued job (compare-and-set, so a job runs once), write the
    archive into a temporary file, store it, mark the job done or failed."""
    claimed = DepartmentExport.objects.filter(
        pk=job_id, status=DepartmentExport.Status.QUEUED
    ).update(status=DepartmentExport.Status.RUNNING, heartbeat_at=timezone.now())
    if not claimed:
        return None
    job = DepartmentExport.objects.select_related("department", "started_by").get(pk=job_id)
    job.total = export_total(job.department)
    DepartmentExport.objects.filter(pk=job.pk).update(total=job.total)
    writer = ProgressWriter(job)
    try:
        with tempfile.TemporaryDirectory(prefix="xinbao-export-") as folder:
            path = Path(folder) / f"{job.department.code}.zip"
            result = department_export(
                department=job.department, out=path, actor=job.started_by, progress=writer
            )
            digest = hashlib.new("sm3")
            job.size = path.stat().st_size
            with path.open("rb") as handle:
                while chunk := handle.read(2**20):
                    digest.update(chunk)
                handle.seek(0)
                name = f"{job.department.code}-{timezone.localtime():%Y%m%d-%H%M%S}.zip"
                job.file.save(name, File(handle), save=False)
        job.status = DepartmentExport.Status.DONE
        job.done = sum(result.counts.values())
        job.total = job.done  # the estimate was counted before the snapshot; this is exact
        job.kinds_done = len(KINDS)
        job.current = ""
        job.sm3 = digest.hexdigest()
        job.finished_at = timezone.now()
        job.save(
            update_fields=[
                "status",
                "done",
                "total",
                "kinds_done",
                "current",
                "file",
                "size",
                "sm3",
                "finished_at",
            ]
        )
        return job
    except ArchiveError as error:
        _failed(job, "\n".join(error.shown))
        return job
    except Exception:
        logger.exception("department export %s of %s failed", job.pk, job.department.code)
        _failed(job, _("导出时程序出错,已记录日志,请联系系统管理员。"))
        raise
    finally:
        writer.close()


def _failed(
    job: DepartmentExport,
    message: str,
    *,
    now: datetime.datetime | None = None,
    stale: bool = False,
) -> None:
    """Mark the job failed with ``message`` and audit it (``stale``: its worker is gone)."""
    changes: dict[str, Any] = {"error": message[:500], **({"stale": True} if stale else {})}
    with transaction.atomic():
        DepartmentExport.objects.filter(pk=job.pk).update(
            status=DepartmentExport.Status.FAILED, error=message, finished_at=now or timezone.now()
        )
        audit_record(
            actor=job.started_by,
            action="department.export_failed",
            obj=job,
            changes=changes,
            success=False,
        )
    job.refresh_from_db()


def abandon_stale_exports(
    now: datetime.datetime | None = None, department: Unit | None = None
) -> int:
    """Fail the exports whose worker is gone: running with no progress for ``STALE_RUNNING``,
    or queued for ``STALE_QUEUED`` without a worker taking them (of ``department`` only, when
    given). Each is re-checked under its row lock, so a job that just moved on is left alone;
    running it again finds nothing. Returns how many were failed."""
    now = now or timezone.now()
    Status = DepartmentExport.Status
    silent = Q(status=Status.RUNNING) & (
        Q(heartbeat_at__lt=now - STALE_RUNNING)
        | Q(heartbeat_at__isnull=True, started_at__lt=now - STALE_RUNNING)
    )
    waiting = Q(status=Status.QUEUED, started_at__lt=now - STALE_QUEUED)
    stale = DepartmentExport.objects.filter(silent | waiting)
    if department is not None:
        stale = stale.filter(department=department)
    failed = 0
    for pk in stale.order_by("pk").values_list("pk", flat=True)[:EXPIRE_BATCH]:
        with transaction.atomic():
            job = (
                DepartmentExport.objects.select_for_update()
                .filter(pk=pk)
                .filter(silent | waiting)
                .select_related("started_by")
                .first()
            )
            if job is None:
                continue
            message = (
                _("导出中断:后台任务停止运行,未能完成。请重新导出。")
                if job.status == Status.RUNNING
                else _("导出未能开始:后台任务长时间没有运行。请重新导出,或联系系统管理员。")
            )
            _failed(job, message, now=now, stale=True)
            failed += 1
    return failed


def department_export_download(*, actor: User, job: DepartmentExport) -> DepartmentExport:
    """Record that ``actor`` (already given the job by ``queries.access_export``) downloads it."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="department.export_downloaded",
            obj=job,
            changes={"sm3": job.sm3, "size": job.size},
        )
    return job


def department_export_delete(*, actor: User, job: DepartmentExport) -> DepartmentExport:
    """The maker of a finished (or failed) export deletes its archive now (``job`` already
    given by ``queries.access_export``, so of the actor's department). ``NotAllowed`` for
    another editor, ``InvalidInput`` while it runs or once it is gone; nothing changed then."""
    check_exporter(actor)
    if job.started_by_id != actor.pk:
        raise NotAllowed(_("只有发起这次导出的编辑可以删除它的归档文件。"))
    if job.status not in DepartmentExport.FINISHED:
        if job.active:
            raise InvalidInput(_("导出尚未结束,不能删除;请等它完成后再删除。"))
        raise InvalidInput(_("这次导出的归档文件已经删除。"))
    removed = _remove(
        job.pk,
        status=DepartmentExport.Status.DELETED,
        actor=actor,
        action="department.export_deleted",
        changes={},
    )
    if removed is None:
        raise InvalidInput(_("这次导出的归档文件已经删除。"))
    return removed


def expire_exports(now: datetime.datetime | None = None, days: int | None = None) -> int:
    """The periodic job: delete the archive of every export that finished or failed more than
    ``XINBAO_EXPORT_RETENTION_DAYS`` days ago (0 turns it off) and mark it ``expired``, one
    transaction and one audit record each, oldest first, in bounded batches on the retention
    index. Running it again finds nothing. Returns how many were expired."""
    now = now or timezone.now()
    days = settings.XINBAO_EXPORT_RETENTION_DAYS if days is None else days
    if days <= 0:
        return 0
    before = now - datetime.timedelta(days=days)
    expired = 0
    while True:
        batch = list(
            DepartmentExport.objects.filter(
                status__in=DepartmentExport.FINISHED, finished_at__lt=before
            )
            .order_by("finished_at", "pk")
            .values_list("pk", flat=True)[:EXPIRE_BATCH]
        )
        if not batch:
            return expired
        for pk in batch:
            removed = _remove(
                pk,
                status=DepartmentExport.Status.EXPIRED,
                actor=None,
                action="department.export_expired",
                changes={"days": days},
                now=now,
            )
            expired += removed is not None


def _remove(
    pk: int,
    *,
    status: str,
    actor: User | None,
    action: str,
    changes: dict[str, Any],
    now: datetime.datetime | None = None,
) -> DepartmentExport | None:
    """Mark a finished or failed export removed and delete its file, in one transaction with
    the audit record; ``None`` when someone else removed it first. The file is deleted last,
    inside the transaction: if that fails, nothing is marked and the next run tries again; a
    file already missing counts as deleted, so a run whose commit failed is finished then."""
    with transaction.atomic():
        job = (
            DepartmentExport.objects.select_for_update()
            .filter(pk=pk, status__in=DepartmentExport.FINISHED)
            .first()
        )
        if job is None:
            return None
        name, previous = job.file.name, job.status
        job.status, job.removed_at, job.file.name = status, now or timezone.now(), ""
        job.save(update_fields=["status", "removed_at", "file"])
        audit_record(
            actor=actor,
            action=action,
            obj=job,
            changes={
                **changes,
                "status": [previous, status],
                "file": name or "",
                "size": job.size,
                "sm3": job.sm3,
            },
        )
        if name:
            job.file.storage.delete(name)
    return job
