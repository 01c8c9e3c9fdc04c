"""The audit administrator's pages: the log with filters, and its export (CSV or Excel).

Only the audit administrator reaches them (everyone else gets 404, as for any page that is not
theirs); nothing here changes or switches off auditing.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from io import BytesIO

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from xinbao.audit.forms import AuditFilterForm
from xinbao.audit.models import AuditRecord
from xinbao.audit.queries import audit_records
from xinbao.audit.services import audit_record
from xinbao.web.access import AuthedRequest

PAGE_SIZE = 50
XLSX_MAX_ROWS = 100_000  # beyond this, CSV (streamed) is the format


def audit_log(request: AuthedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    page = Paginator(audit_records(form.condition()), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/log.html", {"page": page, "form": form, "query": query.urlencode()}
    )


def columns() -> list[str]:
    return [
        _("序号"),
        _("时间(UTC)"),
        _("操作人账号"),
        _("角色"),
        _("客户端地址"),
        _("客户端"),
        _("事件"),
        _("对象类型"),
        _("对象编号"),
        _("对象"),
        _("结果"),
        _("请求编号"),
        _("变更摘要"),
        _("校验码"),
    ]


def row(r: AuditRecord) -> list[object]:
    return [_cell(value) for value in _values(r)]


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is shown as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _values(r: AuditRecord) -> list[object]:
    return [
        r.seq,
        r.at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        r.actor_name,
        r.role,
        r.ip or "",
        r.user_agent,
        r.action,
        r.object_type,
        r.object_id,
        r.object_repr,
        _("成功") if r.success else _("失败"),
        r.request_id,
        str(r.changes),
        r.mac,
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_export(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    condition = form.condition()
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="audit.export",
            changes={"format": fmt, **{k: str(v) for k, v in vars(condition).items() if v}},
        )
    qs = audit_records(condition)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield "\ufeff"  # so that Excel opens the UTF-8 file as UTF-8
            yield writer.writerow(columns())
            for r in qs.iterator(chunk_size=2000):
                yield writer.writerow(row(r))

        stream = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stream["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return stream
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("审计记录"))
    sheet.append(columns())
    for r in qs[:XLSX_MAX_ROWS].iterator(chunk_size=2000):
        sheet.append(row(r))
    out = BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response
