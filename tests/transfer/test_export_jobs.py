"""The department archive as background work (``transfer.exports``): an editor queues it at
/transfer/, the worker writes it with progress others can see while it runs, the page polls
and offers the signed file to the department's editors only; every step is audited."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.urls import reverse

from tests.conftest import County
from tests.factories import make_item
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.transfer import exports
from xinbao.transfer.archive import signing
from xinbao.transfer.archive.format import ArchiveError
from xinbao.transfer.archive.load import archive_read
from xinbao.transfer.models import DepartmentExport

PAGE = "/transfer/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def actions() -> list[str]:
    return list(AuditRecord.objects.order_by("seq").values_list("action", flat=True))


@pytest.mark.django_db
def test_editor_exports_the_department_in_the_background_and_downloads_the_signed_archive(
    county: County, media: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_item(officer=county.officer_a)
    editor = client_for(county.editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(PAGE)
    assert response.status_code == 302
    job = DepartmentExport.objects.get()
    assert job.status == DepartmentExport.Status.DONE
    assert job.department == county.dept and job.started_by == county.editor
    assert job.percent == 100 and job.kinds_done == job.kinds_total and job.done > 0
    assert job.done == job.total  # the finished job shows what the archive holds
    page = editor.get(PAGE)
    assert "已完成" in page.content.decode()
    download = reverse("transfer:export_download", args=[job.pk])
    assert download in page.content.decode()
    assert "hx-trigger" not in page.content.decode()  # nothing running: no polling

    response = editor.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    archive = media / "down.zip"
    archive.write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert signing.SIGNATURE in zf.namelist()
    archive_read(archive).zip.close()  # signature and every digest verify
    assert actions()[-3:] == [
        "department.export_started",
        "department.export",
        "department.export_downloaded",
    ]


@pytest.mark.django_db
def test_only_the_departments_editors_may_export_or_download(
    county: County, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.department_export_start(actor=county.editor)
    download = reverse("transfer:export_download", args=[job.pk])
    for user in (county.dept_leader, county.officer_a, county.sysadmin):
        assert client_for(user).get(download).status_code == 404
        assert client_for(user).post(PAGE).status_code == 404
        with pytest.raises(NotAllowed):
            exports.department_export_start(actor=user)
    assert client_for(county.other_editor).get(download).status_code == 404
    assert DepartmentExport.objects.count() == 1
    assert "department.export_downloaded" not in actions()


@pytest.mark.django_db
def test_a_second_export_while_one_is_queued_is_refused_in_chinese(county: County) -> None:
    exports.department_export_start(actor=county.editor)  # queued: on_commit never runs here
    with pytest.raises(InvalidInput, match="已有一次导出正在进行"):
        exports.department_export_start(actor=county.editor)
    response = client_for(county.editor).post(PAGE, follow=True)
    assert "已有一次导出正在进行" in response.content.decode()
    assert DepartmentExport.objects.count() == 1
    # The page polls while the export is queued or running, with a constant number of queries.
    partial = client_for(county.editor).get(PAGE, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in partial.content.decode()
    assert "排队中" in partial.content.decode()
    # A running export names the kind it is writing in Chinese, not by its file name.
    DepartmentExport.objects.update(status="running", current="revisions")
    running = client_for(county.editor).get(PAGE, headers={"HX-Request": "true"})
    assert "正在导出:修改稿" in running.content.decode()


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_one_export_or_many(
    county: County, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    editor = client_for(county.editor)
    DepartmentExport.objects.create(department=county.dept, started_by=county.editor)
    editor.get(PAGE)
    with django_assert_max_num_queries(12) as one:
        editor.get(PAGE)
    DepartmentExport.objects.bulk_create(
        [
            DepartmentExport(department=county.dept, started_by=user, status="failed")
            for user in (county.editor, county.dept_leader) * 10
        ]
    )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = editor.get(PAGE)
    assert response.content.decode().count("<progress") == 21


@pytest.mark.django_db
def test_a_refused_export_shows_its_chinese_message_on_the_page(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> None:
        raise ArchiveError(["附件“总结.docx”与登记的 SM3 摘要不符(文件已损坏)"])

    monkeypatch.setattr(exports, "department_export", refuse)
    job = exports.department_export_start(actor=county.editor)
    exports.department_export_run(job.pk)
    job.refresh_from_db()
    assert job.status == DepartmentExport.Status.FAILED and not job.file
    page = client_for(county.editor).get(PAGE).content.decode()
    assert "失败" in page and "SM3 摘要不符" in page
    assert "department.export_failed" in actions()
    download = reverse("transfer:export_download", args=[job.pk])
    assert client_for(county.editor).get(download).status_code == 404
    assert exports.department_export_run(job.pk) is None  # claimed once only


@pytest.mark.django_db
def test_a_program_error_is_logged_raised_and_shown_without_details(
    county: County, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(**kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(exports, "department_export", crash)
    job = exports.department_export_start(actor=county.editor)
    with pytest.raises(RuntimeError):
        exports.department_export_run(job.pk)
    job.refresh_from_db()
    assert job.status == DepartmentExport.Status.FAILED
    assert "程序出错" in job.error and "disk" not in job.error
    assert "disk on fire" in caplog.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_is_visible_to_others_while_the_export_reads_its_snapshot(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's case: no transaction around the run. Another connection, as the page's
    would be, sees the job running with rows done while the export is still inside its
    snapshot transaction."""
    make_item(officer=county.officer_a)
    monkeypatch.setattr(exports, "PROGRESS_SECONDS", 0)
    seen: list[tuple[str, int, bool]] = []
    original = exports.ProgressWriter.__call__

    def watched(self: exports.ProgressWriter, kind: str, rows: int) -> None:
        original(self, kind, rows)
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT status, done FROM transfer_departmentexport WHERE id = %s", [self.pk]
                )
                status, done = cursor.fetchone()
        finally:
            other.close()
        seen.append((status, done, connection.in_atomic_block))

    monkeypatch.setattr(exports.ProgressWriter, "__call__", watched)
    job = exports.department_export_start(actor=county.editor)  # autocommit: committed
    exports.department_export_run(job.pk)
    assert seen, "the export reported no progress"
    status, done, in_snapshot = seen[-1]
    assert status == "running" and in_snapshot and done > 0
    assert [d for _s, d, _i in seen] == sorted(d for _s, d, _i in seen)
    job.refresh_from_db()
    assert job.status == DepartmentExport.Status.DONE and job.done >= done
