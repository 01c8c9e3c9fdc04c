"""An export whose worker died (killed, machine restarted) must not block the department for
good: ``transfer.exports.abandon_stale_exports`` fails a running job whose progress stopped and
a queued job no worker took, audited, from the periodic jobs and before a new export starts."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import County
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import InvalidInput
from xinbao.transfer import exports
from xinbao.transfer.models import DepartmentExport

pytestmark = pytest.mark.django_db
Status = DepartmentExport.Status


def job(county: County, status: str, *, started: float, heartbeat: float | None) -> Any:
    """A job started ``started`` minutes ago, last progress ``heartbeat`` minutes ago."""
    now = timezone.now()
    made = DepartmentExport.objects.create(
        department=county.dept, started_by=county.editor, status=status
    )
    DepartmentExport.objects.filter(pk=made.pk).update(
        started_at=now - datetime.timedelta(minutes=started),
        heartbeat_at=None if heartbeat is None else now - datetime.timedelta(minutes=heartbeat),
    )
    return made


def failures() -> int:
    return AuditRecord.objects.filter(action="department.export_failed").count()


def test_silent_running_and_long_queued_jobs_are_failed_once_and_audited(county: County) -> None:
    dead = job(county, Status.RUNNING, started=60, heartbeat=20)
    never_beat = job(county, Status.RUNNING, started=30, heartbeat=None)
    alive = job(county, Status.RUNNING, started=60, heartbeat=1)
    lost = job(county, Status.QUEUED, started=180, heartbeat=None)
    waiting = job(county, Status.QUEUED, started=10, heartbeat=None)

    assert exports.abandon_stale_exports() == 3
    assert exports.abandon_stale_exports() == 0  # running it again finds nothing
    status = dict(DepartmentExport.objects.values_list("pk", "status"))
    assert status[dead.pk] == status[never_beat.pk] == status[lost.pk] == Status.FAILED
    assert status[alive.pk] == Status.RUNNING
    assert status[waiting.pk] == Status.QUEUED
    dead.refresh_from_db()
    lost.refresh_from_db()
    assert "导出中断" in dead.error and dead.finished_at is not None
    assert "未能开始" in lost.error
    assert failures() == 3


def test_a_new_export_can_start_after_the_worker_died(county: County) -> None:
    dead = job(county, Status.RUNNING, started=60, heartbeat=20)
    started = exports.department_export_start(actor=county.editor)
    dead.refresh_from_db()
    assert dead.status == Status.FAILED
    assert started.status == Status.QUEUED and started.pk != dead.pk


def test_a_live_export_still_blocks_a_second_one(county: County) -> None:
    job(county, Status.RUNNING, started=60, heartbeat=1)
    with pytest.raises(InvalidInput, match="已有一次导出正在进行"):
        exports.department_export_start(actor=county.editor)
    assert DepartmentExport.objects.count() == 1
    assert failures() == 0


def test_the_scheduler_runs_the_sweep(county: County) -> None:
    dead = job(county, Status.RUNNING, started=60, heartbeat=20)
    out = StringIO()
    call_command("schedule", "--once", stdout=out)
    dead.refresh_from_db()
    assert dead.status == Status.FAILED
    assert "结束中断的部门数据导出" in out.getvalue()


def test_progress_writes_the_heartbeat(county: County) -> None:
    running = job(county, Status.RUNNING, started=60, heartbeat=20)
    writer = exports.ProgressWriter(running)
    writer("items", 10)
    writer.close()
    running.refresh_from_db()
    assert running.heartbeat_at is not None
    assert timezone.now() - running.heartbeat_at < datetime.timedelta(minutes=1)
    assert exports.abandon_stale_exports() == 0
