from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from xinbao.audit.services import audit_record
from xinbao.security.matrix import ADMIN_NAMESPACE, get_matrix
from xinbao.security.otp import otp_required_for, otp_session_state, user_has_device
from xinbao.security.sessions import session_expired

logger = logging.getLogger("xinbao.security.authz")


class SessionLimitsMiddleware:
    """Sign out a session that has been idle too long or that is older than the absolute limit;
    the next page is the login page (R05)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and session_expired(request):
            logout(request)
            query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
            return HttpResponseRedirect(reverse("login") + (f"?{query}" if query else ""))
        return self.get_response(request)


def _is_verified(user: Any) -> bool:
    return user.otp_device_id is not None


class SecondFactorMiddleware:
    """In place of django-otp's OTPMiddleware, which reads the verifying device from the database
    on every request: ``request.user.otp_device_id`` is the persistent id of the device that
    verified this session, from the session's record at the user's current ``otp_epoch``
    (``security.otp``), else None; ``request.user.is_verified()`` says whether there is one.
    No query of its own (the user row is loaded anyway); lazy like ``request.user``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            request.user = SimpleLazyObject(partial(self.verified_user, request, user))  # type: ignore[assignment]
        return self.get_response(request)

    @staticmethod
    def verified_user(request: HttpRequest, user: Any) -> Any:
        user.otp_device_id = None
        user.is_verified = partial(_is_verified, user)
        if user.is_authenticated:
            state = otp_session_state(request, user)
            if state is not None:
                user.otp_device_id = state.get("device")
        return user


class OTPRequiredMiddleware:
    """After the password, a user with a TOTP device reaches nothing but the code step; a user
    whose role requires a second factor (XINBAO_OTP_REQUIRED) and has none reaches nothing but
    the enrolment page (R08). Runs after SecondFactorMiddleware; whether a user has no device is
    kept in the session (``user_has_device``), so the officers who have none cost no query."""

    allowed = ("/logout/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.allowed)
            and not request.path.startswith("/api/")
            and not user.is_verified()  # type: ignore[attr-defined]
        ):
            target = None
            if user_has_device(user, request):
                target = reverse("otp_verify")
            elif settings.XINBAO_OTP_REQUIRED and otp_required_for(user):
                target = reverse("otp_setup")
            if target is not None and request.path != target:
                return redirect(target)
        return self.get_response(request)


class RoleMatrixMiddleware:
    """The one enforcement point of the role matrix (R10, R11, R13): before a view runs, its
    url name and the request method are looked up in ``role_matrix.toml``. Anonymous requests
    reach only the public views; a signed-in role the matrix does not list for the view gets 404
    (an unlisted view gets 404 for everyone, and the log says where to add it); a listed role
    using an unlisted method gets 405. Each refusal of a signed-in user writes ``authz.denied``.
    Object scope is then each view's access helper's business (404 outside it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        matrix = get_matrix()
        match = request.resolver_match
        name = match.view_name if match is not None else ""
        if matrix.is_public(name) or matrix.is_delegated(name):
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        role = getattr(user, "role", "") if user.is_active else ""
        method = request.method or "GET"
        status = matrix.decide(name, method, role)
        if status is None:
            return None
        if name not in matrix.views and matrix.namespace(name) != ADMIN_NAMESPACE:
            logger.error(matrix.missing_message(name))
        audit_record(
            actor=user,
            action="authz.denied",
            changes={"view": name, "method": method, "role": role, "status": status},
            success=False,
        )
        if status == 405:
            rule = matrix.views[name]
            return HttpResponseNotAllowed(sorted(m for m, r in rule.methods.items() if role in r))
        raise Http404
