"""What a locked-out sign-in sees: exactly what a wrong password gets (R04, no hint)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The view's own answer to the refused sign-in (the login page with the generic message,
    or the API's 401), so that a locked account looks like a wrong password."""
    if original_response is not None:
        return original_response
    return render(request, "web/login.html", {"locked": True}, status=200)
