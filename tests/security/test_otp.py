"""R08: the TOTP second factor."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.factories import PASSWORD
from tests.security.conftest import web_login
from tests.security.test_passwords import named_paths
from xinbao.audit.models import AuditRecord
from xinbao.orgs.models import User
from xinbao.security.otp import SESSION_KEY

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


def verified_client(user: User, device: TOTPDevice) -> Client:
    client = Client()
    web_login(client, user.username)
    assert client.post("/account/otp/verify/", {"token": code(device)}).status_code == 302
    return client


def device_queries(client: Client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, [q["sql"] for q in queries if "otp_totp_totpdevice" in q["sql"]]


def test_r08_verified_session_stays_verified_without_a_device_query(county: County) -> None:
    user = county.officer_a
    client = verified_client(user, device_for(user))
    for _n in range(2):
        assert device_queries(client, "/items/") == (200, [])


def test_r08_officer_without_a_device_costs_no_device_query_after_the_first_page(
    county: County,
) -> None:
    client = Client()
    web_login(client, county.officer_a.username)
    client.get("/items/")
    assert device_queries(client, "/items/") == (200, [])


def test_r08_device_reset_elsewhere_drops_the_other_sessions_second_factor(
    county: County,
) -> None:
    user = county.officer_a
    device = device_for(user)
    client = verified_client(user, device)
    assert client.get("/items/").status_code == 200
    device.delete()  # reset by the administrator, or by the user in another session
    response = client.get("/items/")
    assert response.status_code == 200  # no device left: the password alone, as before
    renewed = TOTPDevice.objects.create(user=user, name="新", key=KEY[::-1], confirmed=True)
    response = client.get("/items/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/otp/verify/"
    # Re-keying the device (not a new row) does the same to a session verified by the old key.
    other = verified_client(user, renewed)
    assert other.get("/items/").status_code == 200
    renewed.key = KEY
    renewed.save()
    assert other.get("/items/").headers["Location"] == "/account/otp/verify/"


def test_r08_device_enrolled_elsewhere_stops_a_password_only_session(county: County) -> None:
    user = county.officer_a
    client = Client()
    web_login(client, user.username)
    assert client.get("/items/").status_code == 200  # no device: remembered in the session
    device_for(user)
    response = client.get("/items/")
    assert response.headers["Location"] == "/account/otp/verify/"


def test_r08_verification_saves_do_not_drop_other_sessions(county: County) -> None:
    user = county.officer_a
    device = device_for(user)
    first = verified_client(user, device)
    second = Client()
    web_login(second, user.username)
    second.post("/account/otp/verify/", {"token": code(device, offset=1)})  # saves last_t
    assert second.get("/items/").status_code == 200
    assert first.get("/items/").status_code == 200


def test_r08_forged_session_record_with_a_wrong_epoch_is_not_verified(county: County) -> None:
    user = county.officer_a
    device = device_for(user)
    user.refresh_from_db()
    forged: list[dict[str, object]] = [
        {"user": user.pk, "epoch": user.otp_epoch + 1, "device": device.persistent_id},
        {"user": user.pk, "epoch": user.otp_epoch - 1, "device": device.persistent_id},
        {"user": county.officer_b.pk, "epoch": user.otp_epoch, "device": device.persistent_id},
        {"user": user.pk, "epoch": user.otp_epoch + 1, "device": None},
    ]
    for value in forged:
        client = Client()
        web_login(client, user.username)
        session = client.session
        session[SESSION_KEY] = value
        session.save()
        response = client.get("/items/")
        assert response.status_code == 302, value
        assert response.headers["Location"] == "/account/otp/verify/", value
        assert SESSION_KEY not in client.session, value


def test_r08_own_password_change_keeps_this_sessions_second_factor_only(
    county: County,
) -> None:
    user = county.officer_a
    device = device_for(user)
    client = verified_client(user, device)
    user.refresh_from_db()
    epoch = user.otp_epoch
    new = "Qingtian#Info2026"
    done = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.otp_epoch == epoch + 1
    assert client.get("/items/").status_code == 200
    assert client.session[SESSION_KEY]["epoch"] == epoch + 1


def test_r08_a_stale_full_save_of_the_user_does_not_revive_a_reset_session(
    county: County,
) -> None:
    """A form or script that loaded the user before a device reset and saves it afterwards
    (the admin's user form) leaves ``otp_epoch`` alone: the reset still ends the session."""
    user = county.officer_a
    device = device_for(user)
    client = verified_client(user, device)
    stale = User.objects.get(pk=user.pk)
    device.delete()
    TOTPDevice.objects.create(user=user, name="新", key=KEY[::-1], confirmed=True)
    stale.full_name = "改名"
    stale.save()
    user.refresh_from_db()
    assert (user.full_name, user.otp_epoch) == ("改名", stale.otp_epoch + 2)
    response = client.get("/items/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_verify"))


def test_r08_a_reset_between_the_code_check_and_the_record_leaves_the_session_unverified(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session records the epoch the request loaded the user with, never one read after
    the code was checked: an administrator's reset of the lost device in between is not
    absorbed."""
    user = county.officer_a
    device = device_for(user)
    original = TOTPDevice.verify_token

    def verify_then_reset(self: TOTPDevice, token: str) -> bool:
        ok = original(self, token)
        TOTPDevice.objects.filter(pk=self.pk).delete()
        TOTPDevice.objects.create(user=user, name="新", key=KEY[::-1], confirmed=True)
        return ok

    client = Client()
    web_login(client, user.username)
    token = code(device)
    monkeypatch.setattr(TOTPDevice, "verify_token", verify_then_reset)
    client.post(reverse("otp_verify"), {"token": token})
    monkeypatch.undo()
    response = client.get("/items/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_verify"))


def test_r08_a_device_loaded_with_deferred_fields_reads_nothing_more(county: County) -> None:
    device_for(county.officer_a)
    with CaptureQueriesContext(connection) as queries:
        found = TOTPDevice.objects.only("name").first()
    assert found is not None and found.name == "测试"
    assert len(queries) == 1
