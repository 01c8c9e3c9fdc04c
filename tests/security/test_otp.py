"""R08: the TOTP second factor."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.security.conftest import web_login
from tests.security.test_passwords import named_paths
from xinbao.audit.models import AuditRecord
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, hex


def code(device: TOTPDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return f"{value:0{device.digits}d}"


def device_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="测试", key=KEY, confirmed=True)


def test_r08_password_alone_reaches_only_the_code_step(county: County) -> None:
    user = county.officer_a
    device_for(user)
    client = Client()
    assert web_login(client, user.username).status_code == 302  # type: ignore[attr-defined]
    for path in named_paths():
        if path.startswith(("/account/otp/verify/", "/logout/", "/static/")):
            continue
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/otp/verify/", path


def test_r08_correct_code_completes_sign_in_and_replay_is_refused(county: County) -> None:
    user = county.officer_a
    device = device_for(user)
    client = Client()
    web_login(client, user.username)
    token = code(device)
    response = client.post("/account/otp/verify/", {"token": token})
    assert response.status_code == 302
    assert client.get("/items/").status_code == 200
    assert AuditRecord.objects.filter(action="auth.otp_verified", actor=user).exists()
    # The same code in the same time step, from another session, is refused (last_t).
    other = Client()
    web_login(other, user.username)
    again = other.post("/account/otp/verify/", {"token": token})
    assert again.status_code == 400
    assert "动态口令不正确" in again.content.decode()
    assert other.get("/items/").status_code == 302


def test_r08_wrong_codes_count_towards_the_lockout(county: County) -> None:
    user = county.officer_a
    device = device_for(user)
    client = Client()
    web_login(client, user.username)
    good = code(device)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    for _n in range(5):
        assert client.post("/account/otp/verify/", {"token": wrong}).status_code == 400
        device.refresh_from_db()
        device.throttling_failure_count = 0  # django-otp's own back-off, set aside here
        device.throttling_failure_timestamp = None
        device.save()
    assert AccessAttempt.objects.filter(username=user.username, failures_since_start__gte=5)
    assert "_auth_user_id" not in Client().session
    assert web_login(Client(), user.username).status_code == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize("who", ["editor", "dept_leader", "sysadmin"])
def test_r08_required_roles_must_enrol(county: County, settings: Settings, who: str) -> None:
    settings.XINBAO_OTP_REQUIRED = True
    user = getattr(county, who)
    client = Client()
    web_login(client, user.username)
    response = client.get("/")
    assert response.headers["Location"] == "/account/otp/setup/"
    for path in ("/admin/", reverse("items:inbox"), "/audit/"):
        assert client.get(path).headers.get("Location") == "/account/otp/setup/"
    page = client.get("/account/otp/setup/")
    assert page.status_code == 200 and "otpauth://totp/" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/account/otp/setup/", {"token": "000000"}).status_code in (400, 302)
    device.refresh_from_db()
    if not device.confirmed:
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.save()
        assert client.post("/account/otp/setup/", {"token": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 302
    assert client.get("/").headers["Location"] != "/account/otp/setup/"
    assert AuditRecord.objects.filter(action="auth.otp_enrolled", actor=user).exists()


def test_r08_officers_and_demo_settings_need_no_second_factor(
    county: County, settings: Settings
) -> None:
    settings.XINBAO_OTP_REQUIRED = True
    client = Client()
    web_login(client, county.officer_a.username)
    assert client.get("/items/").status_code == 200
    settings.XINBAO_OTP_REQUIRED = False
    editor = Client()
    web_login(editor, county.editor.username)
    assert editor.get(reverse("items:inbox")).status_code == 200
    from xinbao import settings as module

    assert module.XINBAO_OTP_REQUIRED == module.PRODUCTION


def test_r08_totp_matches_rfc6238(county: County) -> None:
    device = device_for(county.officer_a)
    device.digits = 8
    device.save()
    vector = TOTP(device.bin_key, step=30, t0=0, digits=8)
    vector.time = 59
    assert vector.token() == 94287082  # RFC 6238 appendix B, SHA-1
    assert len(code(device)) == 8
