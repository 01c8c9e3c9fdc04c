from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from xinbao.security.otp import otp_required_for, user_has_device
from xinbao.security.sessions import session_expired


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


class OTPRequiredMiddleware:
    """After the password, a user with a TOTP device reaches nothing but the code step; a user
    whose role requires a second factor (XINBAO_OTP_REQUIRED) and has none reaches nothing but
    the enrolment page (R08). Runs after django-otp's OTPMiddleware."""

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
            if user_has_device(user):
                target = reverse("otp_verify")
            elif settings.XINBAO_OTP_REQUIRED and otp_required_for(user):
                target = reverse("otp_setup")
            if target is not None and request.path != target:
                return redirect(target)
        return self.get_response(request)
