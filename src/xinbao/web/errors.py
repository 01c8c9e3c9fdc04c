"""Generic Chinese error pages with an incident id (R26). The page shows the id and nothing
about the program; the log line carries the same id, and for 500 the exception."""

from __future__ import annotations

import logging
import secrets
import sys
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

logger = logging.getLogger("xinbao.errors")

TITLES = {  # marked for the catalog here, translated when the page is rendered
    400: gettext_noop("请求有误"),
    403: gettext_noop("没有权限"),
    404: gettext_noop("页面不存在"),
    410: gettext_noop("文件已删除"),
    500: gettext_noop("系统出错"),
}


def new_incident_id() -> str:
    return secrets.token_hex(6).upper()


def database_error_code(error: BaseException | None) -> str:
    """The database driver's own code of the error behind ``error`` (SQLite's extended name such
    as ``SQLITE_IOERR_SHORT_READ``, PostgreSQL's SQLSTATE), or "": the message alone ("disk I/O
    error") does not say which of a dozen causes it was."""
    seen = 0
    while error is not None and seen < 10:
        name = getattr(error, "sqlite_errorname", None)
        if name:
            return str(name)
        sqlstate = getattr(getattr(error, "diag", None), "sqlstate", None)
        if sqlstate:
            return f"SQLSTATE {sqlstate}"
        error = error.__cause__ or error.__context__
        seen += 1
    return ""


def error_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """Render a standalone page (no context processors, so it works when the database or the
    session is what failed)."""
    incident = new_incident_id()
    context = {"status": status, "title": _(TITLES[status]), "message": message}
    context["incident"] = incident
    if status >= 500:
        error = sys.exc_info()
        code = database_error_code(error[1])
        logger.error(
            "incident %s: %s %s%s",
            incident,
            request.method,
            request.path,
            f" (database: {code})" if code else "",
            exc_info=error,
        )
    else:
        logger.warning("incident %s: %s %s -> %s", incident, request.method, request.path, status)
    body = loader.get_template("web/error.html").render(context)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, _("请求无法处理,请返回上一页重试。"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403, _("您没有权限进行此操作。"))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, _("您访问的页面不存在,或者您无权查看。"))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(
        request, 500, _("系统出现错误,已记录。请稍后重试;如需报告,请提供下面的事件编号。")
    )


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """Django's CSRF refusal, in Chinese, without the technical reason."""
    return error_page(request, 403, _("页面已过期或来源不明,请刷新页面后重新提交。"))
