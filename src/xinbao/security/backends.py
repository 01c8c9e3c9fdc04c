from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
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


class UserBackend(ModelBackend):
    """Django's password backend, whose ``get_user`` (each request's signed-in user) also
    loads the user's unit in the same query: nearly every page reads ``request.user.unit``."""

    def get_user(self, user_id: Any) -> Any:
        try:
            user = get_user_model()._default_manager.select_related("unit").get(pk=user_id)
        except ObjectDoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
