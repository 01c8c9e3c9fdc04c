"""The department archive through the API: queue an export of the caller's department, poll
its progress, download the signed archive (``transfer.exports``, the same services as the page).

For the department's editors only; anyone else is refused (403), and another department's
export is not found (404). A finished archive is kept ``XINBAO_EXPORT_RETENTION_DAYS`` days (its
maker may delete it sooner); afterwards its file answers 410 with the reason.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.http import FileResponse, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.schemas import Error
from xinbao.transfer import queries
from xinbao.transfer.exports import (
    check_exporter,
    department_export_delete,
    department_export_download,
    department_export_start,
)
from xinbao.transfer.models import DepartmentExport
from xinbao.web.downloads import stored_file_response

router = Router(tags=["数据迁移"])

ZIP_MIME = "application/zip"


class ExportOut(Schema):
    id: int
    department: str = Field(description="组织部门的单位代码")
    status: str = Field(
        description="queued 排队中、running 导出中、done 已完成、failed 失败、"
        "expired 已过期(归档已按保留期限删除)、deleted 已删除(导出人删除了归档)"
    )
    status_display: str
    percent: int = Field(description="进度(0–100)")
    done: int = Field(description="已导出的行数")
    total: int = Field(description="预计总行数(开始导出后才有)")
    kinds_done: int
    kinds_total: int
    current: str = Field(description="正在导出的数据种类")
    error: str = Field(description="失败时的中文说明")
    size: int = Field(description="归档文件字节数(完成后)")
    sm3: str = Field(description="归档文件的 SM3 摘要(完成后)")
    download: str | None = Field(description="完成后下载归档的地址")
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    removed_at: datetime.datetime | None = Field(description="归档文件删除的时间")

    @staticmethod
    def build(job: DepartmentExport, department_code: str) -> ExportOut:
        return ExportOut(
            id=job.pk,
            department=department_code,
            status=job.status,
            status_display=str(job.get_status_display()),
            percent=job.percent,
            done=job.done,
            total=job.total,
            kinds_done=job.kinds_done,
            kinds_total=job.kinds_total,
            current=job.current,
            error=job.error,
            size=job.size,
            sm3=job.sm3,
            download=(
                f"/api/v1/transfer/exports/{job.pk}/file"
                if job.status == DepartmentExport.Status.DONE
                else None
            ),
            started_at=job.started_at,
            finished_at=job.finished_at,
            removed_at=job.removed_at,
        )


@router.post(
    "/transfer/exports",
    response={202: ExportOut, **WRITE_ERRORS},
    summary="导出本部门的全部数据(后台进行)",
    description="仅组织部门的编辑。排队一次本部门的数据导出,返回任务;用 GET 查询进度,"
    "完成后下载签名的归档。已有一次导出在进行时答 409。",
)
def export_start(request: ApiRequest) -> Status[ExportOut]:
    job = department_export_start(actor=request.user)
    return Status(202, ExportOut.build(job, request.user.home_unit.code))


@router.get(
    "/transfer/exports",
    response={200: list[ExportOut], **READ_ERRORS},
    summary="本部门最近的数据导出",
)
def export_list(request: ApiRequest) -> list[ExportOut]:
    department = check_exporter(request.user)
    return [ExportOut.build(job, department.code) for job in queries.recent_exports(department)]


@router.get(
    "/transfer/exports/{export_id}",
    response={200: ExportOut, **READ_ERRORS},
    summary="一次数据导出的进度",
)
def export_get(request: ApiRequest, export_id: ObjectId) -> ExportOut:
    department = check_exporter(request.user)
    job = queries.access_export(request.user, export_id, finished=False)
    return ExportOut.build(job, department.code)


@router.delete(
    "/transfer/exports/{export_id}",
    response={200: ExportOut, **WRITE_ERRORS},
    summary="删除一次数据导出的归档文件",
    description="仅发起这次导出的编辑本人,且导出已完成或失败;任务记录保留,状态为 deleted。"
    "导出尚未结束或归档已删除时答 400,其他编辑答 403。",
)
def export_delete(request: ApiRequest, export_id: ObjectId) -> ExportOut:
    department = check_exporter(request.user)
    job = queries.access_export(request.user, export_id, finished=False)
    return ExportOut.build(department_export_delete(actor=request.user, job=job), department.code)


@router.get(
    "/transfer/exports/{export_id}/file",
    response={**READ_ERRORS, 410: Error},
    summary="下载已完成的部门归档(zip,带签名)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "部门归档",
                "content": {ZIP_MIME: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_file(request: ApiRequest, export_id: ObjectId) -> HttpResponse | FileResponse:
    check_exporter(request.user)
    job = queries.access_export(request.user, export_id)
    department_export_download(actor=request.user, job=job)
    return stored_file_response(job.file, Path(job.file.name).name, ZIP_MIME)
