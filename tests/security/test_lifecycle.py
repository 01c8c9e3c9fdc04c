"""R14 account lifecycle and R28 residual secrets."""

from __future__ import annotations

import datetime
import logging
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import County
from tests.factories import PASSWORD
from tests.security.conftest import web_login
from xinbao.audit.models import AuditRecord
from xinbao.orgs.models import User
from xinbao.security.models import UserSession
from xinbao.security.services import clear_expired_sessions, disable_stale_accounts
from xinbao.topics.reminders import JOBS, run_due_jobs


def age(user: User, days: int) -> None:
    stamp = timezone.now() - datetime.timedelta(days=days)
    User.objects.filter(pk=user.pk).update(last_login=stamp, date_joined=stamp)


def test_r14_accounts_unused_for_90_days_are_disabled_once_with_an_audit_record(
    county: County,
) -> None:
    age(county.officer_a, 91)
    age(county.editor, 89)
    assert disable_stale_accounts() == 1
    county.officer_a.refresh_from_db()
    county.editor.refresh_from_db()
    assert not county.officer_a.is_active and county.editor.is_active
    records = AuditRecord.objects.filter(action="account.disabled_inactive")
    assert list(records.values_list("object_id", flat=True)) == [str(county.officer_a.pk)]
    assert disable_stale_accounts() == 0  # idempotent
    assert records.count() == 1


def test_r14_never_used_accounts_count_from_creation_and_days_setting_applies(
    county: County, settings: pytest.FixtureRequest
) -> None:
    User.objects.filter(pk=county.leader_a.pk).update(
        last_login=None, date_joined=timezone.now() - datetime.timedelta(days=40)
    )
    settings.XINBAO_INACTIVE_DAYS = 30  # type: ignore[attr-defined]
    assert disable_stale_accounts() == 1
    assert not User.objects.get(pk=county.leader_a.pk).is_active
    settings.XINBAO_INACTIVE_DAYS = 0  # type: ignore[attr-defined]
    age(county.editor, 400)
    assert disable_stale_accounts() == 0


def test_r14_disabled_user_cannot_log_in_and_their_session_dies(county: County) -> None:
    client = Client()
    web_login(client, county.officer_a.username)
    assert client.get("/items/").status_code == 200
    TOTPDevice.objects.create(user=county.officer_a, name="phone", confirmed=True)
    age(county.officer_a, 100)
    call_command("disable_stale_accounts")
    assert client.get("/items/").status_code == 302  # the old session is gone
    assert not Session.objects.exists() and not UserSession.objects.exists()
    assert not TOTPDevice.objects.filter(user=county.officer_a).exists()  # R28: seed removed
    response = web_login(Client(), county.officer_a.username)
    assert response.status_code == 200  # the login page again, not a redirect in


def test_r14_job_runs_from_the_scheduler(county: County) -> None:
    assert {"disable_stale_accounts", "clear_sessions"} <= {job.name for job in JOBS}
    age(county.officer_b, 120)
    done = run_due_jobs()
    assert done["disable_stale_accounts"] == 1
    assert run_due_jobs()["disable_stale_accounts"] == 0


def test_r28_logout_deletes_the_session_and_its_list_row(county: County) -> None:
    client = Client()
    web_login(client, county.editor.username)
    key = client.cookies["sessionid"].value
    assert UserSession.objects.filter(session_key=key).exists()
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/").status_code == 302


def test_r28_clearsessions_is_scheduled_and_removes_expired_rows(county: County) -> None:
    client = Client()
    web_login(client, county.editor.username)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert clear_expired_sessions() == 1
    assert not Session.objects.exists() and not UserSession.objects.exists()


def test_r28_no_password_or_session_key_in_logs(
    county: County, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    web_login(client, county.editor.username, password="wrong-" + PASSWORD)
    web_login(client, county.editor.username)
    key = client.cookies["sessionid"].value
    client.get("/inbox/")
    client.get("/audit/")  # denied: writes authz.denied and may log
    client.post("/logout/")
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert PASSWORD not in text
    assert key not in text
    assert not re.search(r"sessionid=\w{20,}", text)
