from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from tests.factories import PASSWORD


def web_login(client: Client, username: str, password: str = PASSWORD, **extra: str) -> object:
    """Sign in through the real login page (axes, signals and middleware all run)."""
    return client.post("/login/", {"username": username, "password": password}, **extra)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Moves the clock the session limits read: append seconds to ``clock[0]``."""
    from django.utils import timezone

    from xinbao.security import sessions

    offset = [0.0]

    def shifted() -> object:
        return timezone.now() + timezone.timedelta(seconds=offset[0])

    monkeypatch.setattr(sessions, "now", shifted)
    yield offset
