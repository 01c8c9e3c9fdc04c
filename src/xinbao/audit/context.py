"""Who is acting, and from where: set per request by the middleware, read by ``audit_record``."""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("xinbao_client_ip", default=None)
