from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from xinbao.audit.context import client_ip, request_id, user_agent

HEADER = "X-Request-ID"
# An incoming id is kept only when it is short and plain, so it cannot inject into logs.
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

logger = logging.getLogger("xinbao.request")


def request_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR: the reverse proxy in deployments must set it (not a spoofable header)."""
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    """Gives every request an id (the client's ``X-Request-ID`` when well-formed, else a new
    one), returns it in the response header, and puts it, the address and the user agent where
    ``audit_record`` and every log line of the request find them. First in the chain, so that
    records written by later middleware carry them too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        rid = incoming if VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        tokens = (
            request_id.set(rid),
            user_agent.set(request.headers.get("User-Agent", "")[:300]),
            client_ip.set(request_ip(request)),
        )
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(tokens[0])
            user_agent.reset(tokens[1])
            client_ip.reset(tokens[2])
        response[HEADER] = rid
        logger.info(
            "%s %s %s request_id=%s",
            request.method,
            request.path[:200].encode("unicode_escape").decode(),
            response.status_code,
            rid,
        )
        return response


class AuditContextMiddleware:
    """The client address for ``audit_record`` (kept for configurations without the above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(request_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every log record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True
