"""Who is acting, and from where: set per request by the middleware, read by ``audit_record``."""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("xinbao_client_ip", default=None)
user_agent: ContextVar[str] = ContextVar("xinbao_user_agent", default="")
request_id: ContextVar[str] = ContextVar("xinbao_request_id", default="")
