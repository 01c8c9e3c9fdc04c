"""``/api/v1/transfer/exports``: an editor queues the department's archive, polls its progress
and downloads it; others are refused, a second export while one runs answers 409; the maker
deletes it, and a deleted or expired archive answers 410."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_item, make_user
from xinbao.audit.models import AuditRecord
from xinbao.orgs.models import Role, User
from xinbao.transfer import exports
from xinbao.transfer.models import DepartmentExport

Api = Callable[[User | None], ApiClient]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def test_an_editor_queues_polls_and_downloads_the_departments_archive(
    county: County, api: Api, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_item(officer=county.officer_a)
    editor = api(county.editor)
    with django_capture_on_commit_callbacks(execute=True):
        started = editor.post("/transfer/exports")
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["status"] == "queued" and body["department"] == county.dept.code
    progress = editor.get(f"/transfer/exports/{body['id']}").json()
    assert progress["status"] == "done" and progress["percent"] == 100
    assert progress["download"] == f"/api/v1/transfer/exports/{body['id']}/file"
    assert len(progress["sm3"]) == 64 and progress["size"] > 0
    assert [job["id"] for job in editor.get("/transfer/exports").json()] == [body["id"]]
    response = editor.get(f"/transfer/exports/{body['id']}/file")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditRecord.objects.filter(action="department.export_downloaded").count() == 1


def test_a_second_export_answers_409_and_others_are_refused(county: County, api: Api) -> None:
    editor = api(county.editor)
    first = editor.post("/transfer/exports").json()  # queued: on_commit does not run here
    again = editor.post("/transfer/exports")
    assert again.status_code == 409 and "正在进行" in again.json()["detail"]
    for user in (county.officer_a, county.dept_leader, county.sysadmin):
        client = api(user)
        assert client.post("/transfer/exports").status_code == 403
        assert client.get(f"/transfer/exports/{first['id']}").status_code == 403
    other = api(county.other_editor)
    assert other.get(f"/transfer/exports/{first['id']}").status_code == 404
    assert other.get("/transfer/exports").json() == []
    # Not finished: no file yet.
    assert editor.get(f"/transfer/exports/{first['id']}/file").status_code == 404
    assert editor.get("/transfer/exports/0").status_code == 422
    assert DepartmentExport.objects.count() == 1


def finished(county: County, days_ago: int) -> DepartmentExport:
    job = DepartmentExport.objects.create(
        department=county.dept,
        started_by=county.editor,
        status=DepartmentExport.Status.DONE,
        finished_at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    job.file.save("archive.zip", ContentFile(b"PK archive!"))
    return job


def test_the_api_deletes_and_answers_410_for_the_file(county: County, api: Api) -> None:
    job = finished(county, days_ago=1)
    colleague = make_user(role=Role.EDITOR, unit=county.dept, username="editor2")
    refused = api(colleague).delete(f"/transfer/exports/{job.pk}")
    assert refused.status_code == 403 and "发起这次导出" in refused.json()["detail"]
    assert api(county.dept_leader).delete(f"/transfer/exports/{job.pk}").status_code == 403
    assert api(county.other_editor).delete(f"/transfer/exports/{job.pk}").status_code == 404
    editor = api(county.editor)
    deleted = editor.delete(f"/transfer/exports/{job.pk}")
    assert deleted.status_code == 200, deleted.content
    body = deleted.json()
    assert body["status"] == "deleted" and body["download"] is None and body["removed_at"]
    gone = editor.get(f"/transfer/exports/{job.pk}/file")
    assert gone.status_code == 410 and "导出人删除" in gone.json()["detail"]
    assert editor.delete(f"/transfer/exports/{job.pk}").status_code == 400
    old = finished(county, days_ago=9)
    exports.expire_exports()
    expired = editor.get(f"/transfer/exports/{old.pk}/file")
    assert expired.status_code == 410 and "已过期" in expired.json()["detail"]
    assert editor.get(f"/transfer/exports/{old.pk}").json()["status"] == "expired"
