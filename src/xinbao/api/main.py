"""The API object: ``/api/v1/`` (see ``xinbao.urls``), its routers, auth and error handling.

Every operation requires a bearer token (``TokenAuth``) except ``POST /auth/token``, which issues
one, and the OpenAPI document. The views are exempt from ``LoginRequiredMiddleware`` (the token,
not a session, signs the caller in; a caller without one gets a JSON 401, never a redirect to the
login page) and from CSRF (django-ninja exempts its views; no cookie is ever read). The
interactive documentation at ``docs`` is a page for people and stays behind the login page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.operation import Operation
from ninja.params.models import QueryModel
from ninja.renderers import JSONRenderer

from xinbao.api.auth import TokenAuth, TokenRateThrottle
from xinbao.api.errors import install_handlers
from xinbao.api.routes import (
    audit,
    auth,
    instructions,
    items,
    notify,
    publishing,
    topics,
    units,
)
from xinbao.api.routes import dashboard as dashboard_routes
from xinbao.api.routes import scoring as scoring_routes
from xinbao.api.routes import search as search_routes
from xinbao.api.routes import secrecy as secrecy_routes
from xinbao.api.routes import transfer as transfer_routes

DOCS_URL_NAME = "openapi-view"


class XinbaoAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern) and pattern.name != DOCS_URL_NAME:
                login_not_required(pattern.callback)
        patterns.append(re_path(r"", login_not_required(not_found), name="not-found"))
        return patterns, app_name, namespace

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view function's name (``item_list``), unique across the routers."""
        return operation.view_func.__name__


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other path under the API root: a JSON 404, not the HTML page."""
    return JsonResponse(
        {"detail": _("没有这个接口。")},
        status=404,
        json_dumps_params=dict(ChineseJSON.json_dumps_params),
    )


class ChineseJSON(JSONRenderer):
    """JSON with Chinese as it is (UTF-8), not as ``\\uXXXX`` escapes: readable in curl."""

    json_dumps_params: Mapping[str, Any] = {"ensure_ascii": False}


def refuse_unknown_query_parameters(run: Any) -> Any:
    """A query parameter the operation does not declare answers 422 with a Chinese message,
    as an unknown body field does: a misspelt filter (``?stat=draft``) must not silently return
    everything. Applied to every operation's view (``api.add_decorator(..., mode="view")``)."""
    operation = run.__self__
    allowed = frozenset(
        name
        for model in operation.models
        if issubclass(model, QueryModel)
        for name in model.__ninja_flatten_map__
    )

    def run_checked(request: HttpRequest, **kwargs: Any) -> Any:
        if unknown := sorted(set(request.GET) - allowed):
            return JsonResponse(
                {"detail": _("不认识的查询参数:%(names)s") % {"names": "、".join(unknown)[:200]}},
                status=422,
                json_dumps_params=dict(ChineseJSON.json_dumps_params),
            )
        return run(request, **kwargs)

    return run_checked


api = XinbaoAPI(
    title="信报 API",
    version="1",
    description=(
        "信报系统的 REST 接口。先用 `POST /auth/token` 以用户名和密码换取访问令牌,"
        "之后每个请求都带上请求头 `Authorization: Bearer <令牌>`。"
        '所有错误都以 `{"detail": "中文说明"}` 返回。详见 docs/api.md。'
    ),
    auth=TokenAuth(),
    renderer=ChineseJSON(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
)
install_handlers(api)
api.add_decorator(refuse_unknown_query_parameters, mode="view")
api.add_router("", auth.router)
api.add_router("", units.router)
api.add_router("", items.router)
api.add_router("", publishing.router)
api.add_router("", scoring_routes.router)
api.add_router("", "xinbao.api.routes.assessment.router")
api.add_router("", "xinbao.api.routes.roster.router")
api.add_router("", search_routes.router)
api.add_router("", secrecy_routes.router)
api.add_router("", notify.router)
api.add_router("", topics.router)
api.add_router("", instructions.router)
api.add_router("", dashboard_routes.router)
api.add_router("", audit.router)
api.add_router("", transfer_routes.router)
