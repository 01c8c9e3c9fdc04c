from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from xinbao.security.validators import password_expired


class UserLanguageMiddleware:
    """Activate the signed-in user's chosen script (简体 or 繁體) for this request only; anonymous
    pages use 简体. The previous language is restored afterwards, so the choice never leaks into
    whatever this thread runs next (another user's request, a background task, a test)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.known = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        language = getattr(user, "language", None) if user.is_authenticated else None
        with translation.override(language if language in self.known else settings.LANGUAGE_CODE):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class PasswordChangeRequiredMiddleware:
    """A user whose password must be changed (new account, reset by an administrator, password
    older than XINBAO_PASSWORD_MAX_AGE_DAYS) reaches nothing but the password page and logout
    until they change it."""

    allowed = ("/account/password/", "/logout/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.allowed):
            if not getattr(user, "must_change_password", True) and password_expired(user):
                user.must_change_password = True
                user.save(update_fields=["must_change_password"])
            if getattr(user, "must_change_password", False):
                return redirect("password_change")
        return self.get_response(request)
