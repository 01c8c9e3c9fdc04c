from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, which refuses a locked-out username (R04).

    Every sign-in a person makes (login page, API token, OTP step) passes its request. Code that
    authenticates without one (the test client's ``login``, scripts) is not a person at a login
    form and is not counted; axes itself would raise instead.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
