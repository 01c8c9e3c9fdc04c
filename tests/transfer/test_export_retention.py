"""Department archives are not kept (``transfer.exports``): ``XINBAO_EXPORT_RETENTION_DAYS``
after an export finished or failed the periodic jobs delete its file and mark it expired, once,
audited; the editor who made it may delete it sooner. The page, the download and the API then
say so in Chinese (410)."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_user
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.orgs.models import Role, User
from xinbao.topics.reminders import JOBS, run_due_jobs
from xinbao.transfer import exports
from xinbao.transfer.models import DepartmentExport

pytestmark = pytest.mark.django_db
PAGE = "/transfer/"
Status = DepartmentExport.Status


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.XINBAO_EXPORT_RETENTION_DAYS = 7
    return tmp_path / "media"


def finished(
    county: County, *, days_ago: float, status: str = Status.DONE, by: User | None = None
) -> DepartmentExport:
    """An export that ended ``days_ago`` days ago, with its archive stored when done."""
    job = DepartmentExport.objects.create(
        department=county.dept,
        started_by=by or county.editor,
        status=status,
        finished_at=timezone.now() - datetime.timedelta(days=days_ago),
        size=11,
        sm3="0" * 64,
        error="导出失败" if status == Status.FAILED else "",
    )
    if status == Status.DONE:
        job.file.save(f"{county.dept.code}.zip", ContentFile(b"PK archive!"))
    return job


def actions(name: str) -> int:
    return AuditRecord.objects.filter(action=name).count()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_scheduler_expires_old_exports_once_and_keeps_recent_ones(
    county: County, media: Path
) -> None:
    old = finished(county, days_ago=8)
    old_failed = finished(county, days_ago=30, status=Status.FAILED)
    recent = finished(county, days_ago=6)
    running = DepartmentExport.objects.create(
        department=county.dept, started_by=county.editor, status=Status.RUNNING
    )
    old_path = Path(old.file.path)
    assert old_path.exists()
    assert "expire_exports" in {job.name for job in JOBS}

    out = StringIO()
    call_command("schedule", "--once", stdout=out)
    assert "删除过期的部门数据归档 2" in out.getvalue()
    for job in (old, old_failed, recent, running):
        job.refresh_from_db()
    assert (old.status, old_failed.status) == (Status.EXPIRED, Status.EXPIRED)
    assert not old.file and old.removed_at is not None and not old_path.exists()
    assert old_failed.error == "导出失败"  # the reason stays
    assert recent.status == Status.DONE and Path(recent.file.path).exists()
    assert running.status == Status.RUNNING
    records = AuditRecord.objects.filter(action="department.export_expired").order_by("seq")
    assert [r.object_id for r in records] == [str(old_failed.pk), str(old.pk)]  # oldest first
    first = records.last()
    assert first is not None and first.actor is None
    assert first.changes["status"] == ["done", "expired"] and first.changes["days"] == 7
    assert first.changes["file"].endswith(".zip") and first.changes["sm3"] == "0" * 64

    # Again: nothing left to do, nothing audited twice.
    assert run_due_jobs()["expire_exports"] == 0
    assert actions("department.export_expired") == 2
    call_command("audit", "verify", stdout=StringIO())


def test_a_retention_of_zero_keeps_every_archive(county: County, settings: Any) -> None:
    settings.XINBAO_EXPORT_RETENTION_DAYS = 0
    job = finished(county, days_ago=400)
    assert exports.expire_exports() == 0
    job.refresh_from_db()
    assert job.status == Status.DONE and job.file


def test_an_archive_whose_file_is_already_gone_is_still_expired(county: County) -> None:
    """A run whose commit failed after it deleted the file: the next run finishes the job."""
    job = finished(county, days_ago=8)
    Path(job.file.path).unlink()
    assert exports.expire_exports() == 1
    job.refresh_from_db()
    assert job.status == Status.EXPIRED


def test_a_failure_deleting_the_file_leaves_the_export_as_it_was(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = finished(county, days_ago=8)

    def refuse(self: Any, name: str) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(FileSystemStorage, "delete", refuse)
    with pytest.raises(PermissionError):
        exports.expire_exports()
    job.refresh_from_db()
    assert job.status == Status.DONE and job.file and Path(job.file.path).exists()
    assert actions("department.export_expired") == 0
    assert run_due_jobs()["expire_exports"] == -1  # logged, the other jobs still ran


def test_the_page_and_the_download_of_an_expired_export_say_so_in_chinese(
    county: County,
) -> None:
    job = finished(county, days_ago=8)
    exports.expire_exports()
    editor = client_for(county.editor)
    page = editor.get(PAGE).content.decode()
    assert "已过期" in page and "归档文件已于" in page
    assert reverse("transfer:export_download", args=[job.pk]) not in page
    assert "7 天后自动删除" in page
    response = editor.get(reverse("transfer:export_download", args=[job.pk]))
    assert response.status_code == 410
    assert "已过期" in response.content.decode() and "请重新导出" in response.content.decode()
    assert actions("department.export_downloaded") == 0
    # Another department's editor still learns nothing about it.
    other = client_for(county.other_editor)
    assert other.get(reverse("transfer:export_download", args=[job.pk])).status_code == 404


def test_the_maker_deletes_the_archive_on_the_page(county: County) -> None:
    job = finished(county, days_ago=1)
    path = Path(job.file.path)
    editor = client_for(county.editor)
    delete = reverse("transfer:export_delete", args=[job.pk])
    assert delete in editor.get(PAGE).content.decode()
    response = editor.post(delete, follow=True)
    assert "已删除这次导出的归档文件" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Status.DELETED and not job.file and not path.exists()
    record = AuditRecord.objects.get(action="department.export_deleted")
    assert record.actor == county.editor and record.object_id == str(job.pk)
    assert record.changes["status"] == ["done", "deleted"]
    gone = editor.get(reverse("transfer:export_download", args=[job.pk]))
    assert gone.status_code == 410 and "导出人删除" in gone.content.decode()
    # Deleting again changes nothing and says why.
    again = editor.post(delete, follow=True)
    assert "已经删除" in again.content.decode()
    assert actions("department.export_deleted") == 1
    assert exports.expire_exports(now=timezone.now() + datetime.timedelta(days=30)) == 0


def test_only_the_maker_may_delete_and_not_while_it_runs(county: County) -> None:
    colleague = make_user(role=Role.EDITOR, unit=county.dept, username="editor2")
    job = finished(county, days_ago=1)
    delete = reverse("transfer:export_delete", args=[job.pk])
    # A colleague in the same department sees the export but gets no delete button.
    page = client_for(colleague).get(PAGE).content.decode()
    assert reverse("transfer:export_download", args=[job.pk]) in page and delete not in page
    response = client_for(colleague).post(delete, follow=True)
    assert "只有发起这次导出的编辑" in response.content.decode()
    with pytest.raises(NotAllowed):
        exports.department_export_delete(actor=colleague, job=job)
    for user in (county.dept_leader, county.officer_a, county.sysadmin, county.other_editor):
        assert client_for(user).post(delete).status_code in (403, 404)
    assert client_for(county.editor).get(delete).status_code == 405
    job.refresh_from_db()
    assert job.status == Status.DONE and Path(job.file.path).exists()
    assert actions("department.export_deleted") == 0

    running = DepartmentExport.objects.create(
        department=county.dept, started_by=county.editor, status=Status.RUNNING
    )
    with pytest.raises(InvalidInput, match="尚未结束"):
        exports.department_export_delete(actor=county.editor, job=running)
    running.refresh_from_db()
    assert running.status == Status.RUNNING
