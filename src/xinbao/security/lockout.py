"""Sign-in failure handling (R04): django-axes locks an account after 5 failures in 15 minutes
(``AXES_LOCKOUT_PARAMETERS = ["username"]``), and ``AddressCapHandler`` adds a cap per address:
``XINBAO_LOCKOUT_ADDRESS_FAILURES`` failures from one address within the cool-off, whatever the
usernames, lock that address for the cool-off too (password spraying across many accounts).
A locked sign-in, of either kind, looks exactly like a wrong password."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from xinbao.audit.middleware import request_ip


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The view's own answer to the refused sign-in (the login page with the generic message,
    or the API's 401), so that a locked account looks like a wrong password."""
    if original_response is not None:
        return original_response
    return render(request, "web/login.html", {"locked": True}, status=200)


def address_failures(ip_address: str) -> int:
    """Sign-in failures recorded from ``ip_address`` (all usernames) whose latest failure lies
    within the cool-off. A success resets only its own username's rows."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


def address_locked(request: HttpRequest) -> bool:
    cap = settings.XINBAO_LOCKOUT_ADDRESS_FAILURES
    if not cap:
        return False
    ip_address = getattr(request, "axes_ip_address", None) or request_ip(request)
    return bool(ip_address) and address_failures(str(ip_address)) >= cap


class AddressCapHandler(AxesDatabaseHandler):
    """axes' database handler plus the per-address cap (``AXES_HANDLER``)."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return bool(super().is_locked(request, credentials)) or address_locked(request)

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return  # no request to judge, or axes locked (and audited) the username already
        if address_locked(request):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            user_locked_out.send(
                "axes",
                request=request,
                username=None,
                ip_address=getattr(request, "axes_ip_address", None) or request_ip(request),
            )
