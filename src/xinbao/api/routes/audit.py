"""The audit log for the audit administrator: records (filtered, newest first, by cursor) and
the chain check. Everyone else is refused (403), as on the pages (R18)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from xinbao.api.auth import ApiRequest
from xinbao.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_id
from xinbao.api.routes import READ_ERRORS
from xinbao.api.schemas import IsoDate, Text
from xinbao.audit.chain import verify_chain
from xinbao.audit.models import AuditRecord
from xinbao.audit.queries import AuditFilter, audit_records
from xinbao.items.errors import NotAllowed
from xinbao.orgs.models import Role, User

router = Router(tags=["审计"])


class AuditFilters(Schema):
    action: Text | SkipJsonSchema[None] = Field(None, max_length=60, description="事件前缀")
    actor: Text | SkipJsonSchema[None] = Field(None, max_length=150, description="操作人账号")
    date_from: IsoDate | SkipJsonSchema[None] = Field(None, description="起始日期(含)")
    date_to: IsoDate | SkipJsonSchema[None] = Field(None, description="截止日期(含)")
    cursor: Text | SkipJsonSchema[None] = Field(
        None, max_length=100, description="上一页返回的 next_cursor"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数")


class AuditRecordOut(Schema):
    id: int
    seq: int | None
    at: datetime.datetime
    actor_id: int | None
    actor_name: str
    role: str
    ip: str | None
    user_agent: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    success: bool
    request_id: str
    changes: dict[str, Any]
    mac: str

    @staticmethod
    def build(r: AuditRecord) -> AuditRecordOut:
        return AuditRecordOut(
            id=r.pk,
            seq=r.seq,
            at=r.at,
            actor_id=r.actor_id,
            actor_name=r.actor_name,
            role=r.role,
            ip=r.ip,
            user_agent=r.user_agent,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            object_repr=r.object_repr,
            success=r.success,
            request_id=r.request_id,
            changes=r.changes if isinstance(r.changes, dict) else {"value": r.changes},
            mac=r.mac,
        )


class AuditPage(Schema):
    records: list[AuditRecordOut]
    next_cursor: str | None


class ChainOut(Schema):
    ok: bool = Field(description="审计链是否完整")
    checked: int = Field(description="已校验的记录数")
    message: str
    record_id: int | None = Field(None, description="第一处断链的记录编号")
    seq: int | None = Field(None, description="第一处断链的链序号")


def check_auditor(user: User) -> None:
    if not user.has_role(Role.AUDITADMIN):
        raise NotAllowed(_("只有审计管理员可以查看审计记录。"))


@router.get(
    "/audit/records",
    response={200: AuditPage, **READ_ERRORS},
    summary="审计记录",
    description="仅审计管理员。按编号从新到旧分页;用返回的 next_cursor 取下一页。",
)
def audit_record_list(request: ApiRequest, filters: Query[AuditFilters]) -> AuditPage:
    check_auditor(request.user)
    condition = AuditFilter(
        action=(filters.action or "").strip(),
        actor=(filters.actor or "").strip(),
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    rows, next_cursor = page_by_id(audit_records(condition), filters.cursor, filters.limit)
    return AuditPage(records=[AuditRecordOut.build(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/audit/verify",
    response={200: ChainOut, **READ_ERRORS},
    summary="校验审计链",
    description="仅审计管理员。与 `xinbao audit verify` 相同:指出第一处被改、缺失或调换的记录。",
)
def audit_chain_verify(request: ApiRequest) -> ChainOut:
    check_auditor(request.user)
    verdict = verify_chain()
    return ChainOut(
        ok=verdict.ok,
        checked=verdict.checked,
        message=verdict.message,
        record_id=verdict.record_id,
        seq=verdict.seq,
    )
