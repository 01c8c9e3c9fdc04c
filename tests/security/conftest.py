from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
