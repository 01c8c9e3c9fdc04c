"""R04–R07: lockout, session limits, session fixation and the user's session list."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.factories import PASSWORD
from tests.security.conftest import web_login
from xinbao.audit.models import AuditRecord
from xinbao.security.models import UserSession

pytestmark = pytest.mark.django_db

GENERIC = "用户名或密码不正确。"


def fail(client: Client, username: str, times: int = 5, **extra: str) -> None:
    for _n in range(times):
        response = web_login(client, username, "wrong-Password#1", **extra)
        assert response.status_code == 200  # type: ignore[attr-defined]
        assert GENERIC in response.content.decode()  # type: ignore[attr-defined]


# R04 ------------------------------------------------------------------------------------------


def test_r04_account_locks_after_five_failures(county: County) -> None:
    user = county.officer_a
    client = Client()
    fail(client, user.username)
    response = web_login(client, user.username)  # the right password, now refused
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert GENERIC in response.content.decode()  # type: ignore[attr-defined]
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(
        username=user.username, failures_since_start__gte=5
    ).exists()
    assert AuditRecord.objects.filter(action="auth.locked", changes__username=user.username)
    # A different address does not help: the lock is on the account.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert GENERIC in web_login(other, user.username).content.decode()  # type: ignore[attr-defined]
    # Another account from the same address is not affected.
    assert web_login(Client(), county.officer_b.username).status_code == 302  # type: ignore[attr-defined]


def test_r04_four_failures_do_not_lock(county: County) -> None:
    client = Client()
    fail(client, county.officer_a.username, times=4)
    assert web_login(client, county.officer_a.username).status_code == 302  # type: ignore[attr-defined]


def test_r04_lock_ends_after_the_cool_off(county: County, settings: Settings) -> None:
    assert datetime.timedelta(minutes=15) <= settings.AXES_COOLOFF_TIME
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    user = county.officer_a
    fail(Client(), user.username)
    assert web_login(Client(), user.username).status_code == 200  # type: ignore[attr-defined]
    AccessAttempt.objects.filter(username=user.username).update(
        attempt_time=datetime.datetime.now(datetime.UTC)
        - settings.AXES_COOLOFF_TIME
        - datetime.timedelta(seconds=1)
    )
    assert web_login(Client(), user.username).status_code == 302  # type: ignore[attr-defined]


def test_r04_locked_and_unknown_accounts_look_the_same(county: County) -> None:
    fail(Client(), county.officer_a.username)
    locked = web_login(Client(), county.officer_a.username)
    unknown = web_login(Client(), "nobody_here")
    wrong = web_login(Client(), county.officer_b.username, "wrong-Password#1")
    bodies = set()
    for response, name in (
        (locked, county.officer_a.username),
        (unknown, "nobody_here"),
        (wrong, county.officer_b.username),
    ):
        assert response.status_code == 200  # type: ignore[attr-defined]
        assert next(t.name for t in response.templates) == "web/login.html"  # type: ignore[attr-defined]
        bodies.add(response.content.decode().replace(name, "NAME"))  # type: ignore[attr-defined]
    normalized = {re.sub(r'"(X-CSRFToken": ")?[A-Za-z0-9]{64}"', "TOKEN", b) for b in bodies}
    assert len(normalized) == 1


def test_r04_one_address_failing_across_many_usernames_is_locked_too(
    county: County, settings: Settings
) -> None:
    """Password spraying: never five failures for one username, but 30 from one address."""
    assert settings.XINBAO_LOCKOUT_ADDRESS_FAILURES == 30
    assert settings.AXES_HANDLER == "xinbao.security.lockout.AddressCapHandler"
    sprayer = Client(REMOTE_ADDR="10.6.6.6")
    for n in range(10):
        fail(sprayer, f"ghost{n:02d}", times=3 if n < 9 else 2)  # 29 failures
    # One below the cap: the address still signs in (another account, the right password).
    assert web_login(Client(REMOTE_ADDR="10.6.6.6"), county.officer_b.username).status_code == 302  # type: ignore[attr-defined]
    fail(sprayer, "ghost09", times=1)  # the 30th
    assert AuditRecord.objects.filter(
        action="auth.locked", changes__scope="address", changes__address="10.6.6.6"
    ).exists()
    # Now the right password for an account that never failed is refused from that address,
    # with the same page as a wrong password ...
    locked = web_login(Client(REMOTE_ADDR="10.6.6.6"), county.officer_a.username)
    assert locked.status_code == 200  # type: ignore[attr-defined]
    assert GENERIC in locked.content.decode()  # type: ignore[attr-defined]
    # ... while the same account signs in from another address: the lock is on the address.
    assert web_login(Client(REMOTE_ADDR="10.6.6.7"), county.officer_a.username).status_code == 302  # type: ignore[attr-defined]
    # After the cool-off the address may try again.
    AccessAttempt.objects.filter(ip_address="10.6.6.6").update(
        attempt_time=datetime.datetime.now(datetime.UTC)
        - settings.AXES_COOLOFF_TIME
        - datetime.timedelta(seconds=1)
    )
    assert web_login(Client(REMOTE_ADDR="10.6.6.6"), county.officer_a.username).status_code == 302  # type: ignore[attr-defined]


def test_r04_api_token_failures_count_towards_the_lock(county: County) -> None:
    user = county.officer_a
    api = Client()
    for _n in range(5):
        response = api.post(
            "/api/v1/auth/token",
            {"username": user.username, "password": "wrong-Password#1"},
            content_type="application/json",
        )
        assert response.status_code == 401
    response = api.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误。"}
    assert GENERIC in web_login(Client(), user.username).content.decode()  # type: ignore[attr-defined]


# R05 ------------------------------------------------------------------------------------------


def test_r05_idle_session_ends_after_fifteen_minutes(
    county: County, settings: Settings, clock: list[float]
) -> None:
    assert settings.XINBAO_IDLE_TIMEOUT_MINUTES == 15
    client = Client()
    web_login(client, county.officer_a.username)
    clock[0] = 14 * 60
    assert client.get("/items/").status_code == 200
    clock[0] += 14 * 60  # still within 15 minutes of the last request
    assert client.get("/items/").status_code == 200
    clock[0] += 15 * 60 + 1
    response = client.get("/items/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_r05_absolute_limit_of_twelve_hours_despite_activity(
    county: County, settings: Settings, clock: list[float]
) -> None:
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    client = Client()
    web_login(client, county.officer_a.username)
    for _step in range(71):  # 11 h 50 min of use, a request every 10 minutes
        clock[0] += 600
        assert client.get("/items/").status_code == 200
    clock[0] = 12 * 3600 + 60
    response = client.get("/items/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/")


def test_r05_logout_deletes_the_server_side_session(county: County) -> None:
    client = Client()
    web_login(client, county.officer_a.username)
    key = client.cookies["sessionid"].value
    client.post("/logout/")
    assert not Session.objects.filter(pk=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/items/").status_code == 302


# R06 ------------------------------------------------------------------------------------------


def test_r06_session_key_changes_at_login(county: County) -> None:
    client = Client()
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    web_login(client, county.officer_a.username)
    after = client.cookies["sessionid"].value
    assert before and after and before != after
    assert not Session.objects.filter(pk=before).exists()


def test_r06_session_cookie_flags(county: County) -> None:
    client = Client()
    response = web_login(client, county.officer_a.username)
    cookie = response.cookies["sessionid"]  # type: ignore[attr-defined]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    from xinbao import settings as module

    assert module.SESSION_COOKIE_HTTPONLY and module.SESSION_COOKIE_SAMESITE in {"Lax", "Strict"}


def test_r06_session_key_is_never_logged(county: County, caplog: pytest.LogCaptureFixture) -> None:
    client = Client()
    web_login(client, county.officer_a.username)
    key = client.cookies["sessionid"].value
    client.get("/items/")
    client.post("/logout/")
    assert key not in caplog.text


# R07 ------------------------------------------------------------------------------------------


def test_r07_password_change_ends_the_other_sessions(county: County) -> None:
    user = county.officer_a
    a, b = Client(), Client()
    web_login(a, user.username)
    web_login(b, user.username, HTTP_USER_AGENT="Browser B")
    key_b = b.cookies["sessionid"].value
    assert b.get("/items/").status_code == 200
    new = "Qingtian#Info2026"
    done = a.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert done.status_code == 302
    assert a.get("/items/").status_code == 200  # the changing session stays
    response = b.get("/items/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/")
    assert not Session.objects.filter(pk=key_b).exists()


def test_r07_user_lists_and_ends_their_other_sessions(county: County) -> None:
    user = county.officer_a
    a, b = Client(), Client()
    web_login(a, user.username, HTTP_USER_AGENT="Browser A")
    web_login(b, user.username, HTTP_USER_AGENT="Browser B")
    web_login(Client(), county.officer_b.username)
    page = a.get("/account/sessions/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Browser A" in text and "Browser B" in text and "结束其他会话" in text
    assert "当前会话" in text
    assert UserSession.objects.filter(user=user).count() == 2
    response = a.post("/account/sessions/end-others/")
    assert response.status_code == 302
    assert b.get("/items/").status_code == 302
    assert a.get("/items/").status_code == 200
    assert list(UserSession.objects.filter(user=user).values_list("user_agent", flat=True)) == [
        "Browser A"
    ]
    assert UserSession.objects.filter(user=county.officer_b).count() == 1
    assert AuditRecord.objects.filter(action="auth.end_other_sessions", actor=user).exists()


def test_r06_production_session_cookie_is_secure(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XINBAO_PRODUCTION": "1",
        "XINBAO_SECRET_KEY": "a-test-only-key-" + "x9Q#" * 16,
        "XINBAO_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "xinbao.settings",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.CSRF_COOKIE_SECURE, s.XINBAO_OTP_REQUIRED, s.SESSION_COOKIE_AGE)"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "True", "Lax", "True", "True", "43200"]
