"""How every refusal becomes a JSON answer ``{"detail": "…"}`` with a Chinese message.

Refusals a caller can cause are the ``ItemError`` subclasses the services raise (their
``status`` is the HTTP status), ``Http404`` from the access helpers, ninja's validation,
authentication and throttling errors, and requests Django refuses to read (too large, not
parseable). Anything else is a fault of the program: it is logged with its traceback and answered
with a 500 that says so, never swallowed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from xinbao.items.errors import ItemError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("xinbao.api")
E = TypeVar("E", bound=Exception)

MAX_LISTED_ERRORS = 8
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BadCredentials(ItemError):
    """Wrong username or password (or an account that may not sign in)."""

    status = 401


class RateLimited(ItemError):
    """Too many requests in the current window; ``wait`` is the seconds until the next one."""

    status = 429

    def __init__(self, message: str, *, wait: int) -> None:
        super().__init__(message)
        self.wait = wait


def install_handlers(api: NinjaAPI) -> None:
    def answer(request: HttpRequest, status: int, detail: str) -> HttpResponse:
        return api.create_response(request, {"detail": detail}, status=status)

    def on_item_error(request: HttpRequest, exc: ItemError) -> HttpResponse:
        response = answer(request, exc.status, str(exc))
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.wait)
        return response

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return answer(request, 404, _("未找到,或您无权查看。"))

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return answer(request, 403, _("您无权进行此操作。"))

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return answer(request, 422, validation_detail(exc.errors))

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = answer(
            request,
            401,
            _("请提供有效的访问令牌(请求头 Authorization: Bearer <令牌>);令牌可能已过期或已撤销。"),
        )
        response["WWW-Authenticate"] = 'Bearer realm="xinbao"'
        return response

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return answer(request, 429, _("请求过于频繁,请稍后再试。"))

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return answer(request, 400, _("请求内容无法解析,请发送有效的 JSON。"))
        if exc.status_code == 403:
            return answer(request, 403, _("您无权进行此操作。"))
        return answer(request, exc.status_code, str(exc))

    def on_unreadable(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            return answer(request, 400, _("请求内容过大。"))
        return answer(request, 400, _("请求无效。"))

    def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return answer(request, 400, _("上传内容的格式不正确(multipart/form-data)。"))

    def on_fault(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        return answer(request, 500, _("服务器内部错误,已记录。请稍后重试,或联系管理员。"))

    on(api, ItemError, on_item_error)
    on(api, Http404, on_not_found)
    on(api, PermissionDenied, on_permission_denied)
    on(api, ValidationError, on_validation)
    on(api, AuthenticationError, on_unauthenticated)
    on(api, Throttled, on_throttled)
    on(api, HttpError, on_http_error)
    on(api, SuspiciousOperation, on_unreadable)
    on(api, MultiPartParserError, on_bad_multipart)
    on(api, Exception, on_fault)


def on(api: NinjaAPI, kind: type[E], handler: Callable[[HttpRequest, E], HttpResponse]) -> None:
    # ninja types the handler's second argument as ``E | type[E]``; it only ever passes an
    # instance, so a handler typed for the instance is what it calls.
    api.add_exception_handler(kind, handler)  # type: ignore[arg-type]


def validation_detail(errors: list[dict[str, Any]]) -> str:
    """One Chinese sentence naming each offending field once: “请求数据有误:title:缺少此项;…”."""
    problems: dict[str, str] = {}
    for error in errors:
        field = field_name(error.get("loc", ()))
        # A value that fits no branch of a union: the branch listing the choices says most.
        if field not in problems or error.get("type") in ("literal_error", "enum"):
            problems[field] = problem(error)
    parts = [f"{field}:{text}" for field, text in list(problems.items())[:MAX_LISTED_ERRORS]]
    if len(problems) > MAX_LISTED_ERRORS:
        parts.append(_("另有 %(n)d 处错误") % {"n": len(problems) - MAX_LISTED_ERRORS})
    return _("请求数据有误:%(errors)s。") % {"errors": ";".join(parts)}


def field_name(loc: Any) -> str:
    """The field as the caller wrote it. ninja's locations are (source, parameter, field, …),
    e.g. ``("body", "payload", "authors", 0)`` → ``authors.0``, or (source, parameter) for a
    plain parameter, ``("query", "limit")`` → ``limit``; pydantic's union branch tags
    (``literal[…]``, ``none``) are dropped."""
    parts = list(loc)[1:]
    if len(parts) > 1:
        parts = parts[1:]
    names = [
        str(part)
        for part in parts
        if isinstance(part, int) or (IDENTIFIER.match(str(part)) and part != "none")
    ]
    return ".".join(names) or _("请求")


def problem(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"]).removeprefix("Value error, ")
    if kind == "missing":
        return _("缺少此项")
    if kind == "extra_forbidden":
        return _("不是可接受的字段")
    if kind in ("string_too_long", "too_long"):
        return _("不能超过 %(n)s 个字") % {"n": ctx.get("max_length", "")}
    if kind in ("string_too_short", "too_short"):
        return _("不能为空") if ctx.get("min_length") in (1, None) else _("太短")
    if kind in ("greater_than_equal", "greater_than"):
        return _("不能小于 %(n)s") % {"n": ctx.get("ge", ctx.get("gt", ""))}
    if kind in ("less_than_equal", "less_than"):
        return _("不能大于 %(n)s") % {"n": ctx.get("le", ctx.get("lt", ""))}
    if kind in ("literal_error", "enum"):
        return _("取值无效,可选:%(expected)s") % {"expected": ctx.get("expected", "")}
    if kind.startswith(("int_", "float_")):
        return _("应为整数")
    if kind.startswith(("date_", "datetime_")):
        return _("应为日期,格式 YYYY-MM-DD")
    if kind.startswith("bool_"):
        return _("应为 true 或 false")
    if kind == "string_pattern_mismatch":
        return _("含有无效的控制字符")
    if kind.startswith("string_"):
        return _("应为文字")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("应为列表")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("应为 JSON 对象")
    if kind == "json_invalid":
        return _("不是有效的 JSON")
    return _("取值无效")
