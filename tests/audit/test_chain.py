"""R15–R19: what the audit log records, its HMAC-SM3 chain, its protection and its retention."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from tests.conftest import County
from tests.factories import PASSWORD, make_item, make_user, png_bytes
from xinbao.audit import chain, triggers
from xinbao.audit.models import AuditAnchor, AuditLogIsAppendOnly, AuditRecord
from xinbao.audit.services import PurgeRefused, audit_purge, audit_record
from xinbao.items.models import Item, State
from xinbao.orgs.models import Role

pytestmark = pytest.mark.django_db


def verify() -> str:
    """``xinbao audit verify``'s message; raises ``CommandError`` when the chain is broken."""
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def write_records(n: int, actor: Any = None) -> list[AuditRecord]:
    with transaction.atomic():
        return [audit_record(actor=actor, action=f"test.event{i}") for i in range(n)]


def raw(sql: str, params: list[Any] | None = None) -> None:
    """SQL straight to the database with the append-only triggers lifted, as an intruder with
    the database owner's rights would do it."""
    with transaction.atomic(), triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def signed_in(user: Any, **headers: str) -> Client:
    client = Client(REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="Mozilla/5.0 测试", **headers)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- R15: every event leaves exactly one record ------------------------------------------


def census(county: County) -> dict[str, Callable[[], object]]:
    """event → the action that must write exactly one record of it."""
    officer, editor = county.officer_a, county.editor
    item = make_item(officer=officer)
    client = signed_in(officer)
    auditor = make_user(role=Role.AUDITADMIN, username="auditor_census")
    return {
        "auth.login_failed": lambda: Client().post(
            "/login/", {"username": officer.username, "password": "wrong-password-1"}
        ),
        "auth.login": lambda: signed_in(editor),
        "item.create": lambda: client.post(
            "/items/new/",
            {
                "title": "甲镇开展党员积分管理",
                "body": "正文" * 20,
                "category": item.category_id,
                "urgency": 0,
            },
        ),
        "item.attachment_add": lambda: client.post(
            f"/items/{item.pk}/attachments/",
            {"file": _upload("a.png", png_bytes())},
        ),
        "item.submit": lambda: client.post(f"/items/{item.pk}/move/", {"action": "submit"}),
        "audit.export": lambda: signed_in(auditor).get("/audit/export/?format=csv"),
        "user.password_change": lambda: signed_in(county.officer_a2).post(
            "/account/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "Qingtian#Census2026",
                "new_password2": "Qingtian#Census2026",
            },
        ),
        "auth.logout": lambda: client.post("/logout/"),
    }


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_r15_each_security_and_business_event_writes_exactly_one_record(county: County) -> None:
    for event, action in census(county).items():
        before = AuditRecord.objects.filter(action=event).count()
        action()
        after = AuditRecord.objects.filter(action=event).count()
        assert after - before == 1, event
    verify()


# --- R16: what a record holds, and what it never holds ----------------------------------


def test_r16_records_of_a_request_carry_time_user_role_ip_agent_event_result_and_request_id(
    county: County,
) -> None:
    client = Client(REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="Mozilla/5.0 测试")
    client.post(
        "/login/",
        {"username": county.officer_a.username, "password": PASSWORD},
        headers={"X-Request-ID": "req-0123456789abcdef"},
    )
    record = AuditRecord.objects.filter(action="auth.login").latest("seq")
    assert record.at is not None and record.at.microsecond % 1000 == 0  # ms precision
    assert (record.actor_id, record.actor_name) == (county.officer_a.pk, "off_a")
    assert record.role == Role.OFFICER
    assert (record.ip, record.user_agent) == ("10.9.8.7", "Mozilla/5.0 测试")
    assert record.object_type == "orgs.user" and record.object_id == str(county.officer_a.pk)
    assert record.success is True
    assert record.request_id == "req-0123456789abcdef"
    response = client.get("/items/")
    assert len(response.headers["X-Request-ID"]) == 32  # a new id per request
    assert response.headers["X-Request-ID"] != "req-0123456789abcdef"


def test_r16_a_malformed_incoming_request_id_is_replaced(county: County) -> None:
    response = Client().get("/login/", headers={"X-Request-ID": "bad\r\nid injected"})
    assert "\n" not in response.headers["X-Request-ID"]
    assert response.headers["X-Request-ID"] != "bad\r\nid injected"


def test_r16_request_id_is_in_the_log_lines(county: County, caplog: Any) -> None:
    caplog.set_level("INFO", logger="xinbao.request")
    response = Client().get("/login/", headers={"X-Request-ID": "trace-abcdef123456"})
    assert response.headers["X-Request-ID"] == "trace-abcdef123456"
    assert any("request_id=trace-abcdef123456" in r.getMessage() for r in caplog.records)


def test_r16_every_row_has_time_event_result_and_the_requests_have_an_ip(county: County) -> None:
    for action in census(county).values():
        action()
    rows = AuditRecord.objects.all()
    assert rows.count() > 5
    for row in rows:
        assert row.at and row.action and row.success in (True, False) and row.seq and row.mac
        if row.request_id:  # written during a request
            assert row.ip


def test_r16_no_password_otp_or_session_key_in_any_record_or_log(
    county: County, caplog: Any
) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    caplog.set_level("DEBUG")
    canary = "Pa$$-canary-7f3e-Xq9"
    user = county.officer_a
    user.set_password(canary)
    user.save()
    client = Client()
    client.post("/login/", {"username": user.username, "password": "Wrong-canary-7f3e-0"})
    assert client.post("/login/", {"username": user.username, "password": canary}).status_code
    session_key = client.session.session_key
    device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    otp = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    client.post("/account/otp/verify/", {"token": otp})
    new = "Qingtian#canary-2026"
    client.post(
        "/account/password/",
        {"old_password": canary, "new_password1": new, "new_password2": new},
    )
    assert AuditRecord.objects.filter(action="user.password_change").exists()
    text = "\n".join(chain.canonical(r).decode() for r in AuditRecord.objects.all())
    text += "\n".join(r.getMessage() for r in caplog.records)
    for secret in (canary, "Wrong-canary-7f3e-0", new, session_key, otp):
        assert secret and secret not in text, secret


def test_r16_control_characters_in_a_username_are_stored_encoded(county: County) -> None:
    Client().post("/login/", {"username": "evil\r\n2026 auth.login ok\x1b[31m", "password": "x"})
    record = AuditRecord.objects.filter(action="auth.login_failed").latest("seq")
    stored = record.changes["username"]
    assert "\r" not in stored and "\n" not in stored and "\x1b" not in stored
    assert stored.startswith("evil\\x0d\\x0a2026")


# --- R17: append-only and chained ---------------------------------------------------------


def test_r17_orm_update_and_delete_of_records_raise(county: County) -> None:
    (record,) = write_records(1)
    with pytest.raises(AuditLogIsAppendOnly):
        AuditRecord.objects.filter(pk=record.pk).update(action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        record.delete()


def test_r17_raw_sql_update_is_refused_by_the_trigger(county: County) -> None:
    (record,) = write_records(1)
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditrecord SET action = 'x' WHERE id = %s", [record.pk])


def test_r17_intact_chain_verifies(county: County) -> None:
    before = AuditRecord.objects.count()
    write_records(5)
    assert f"校验 {before + 5} 条记录" in verify()


def test_r17_a_changed_byte_is_named_by_record(county: County) -> None:
    records = write_records(5)
    target = records[2]
    raw("UPDATE audit_auditrecord SET object_repr = 'X' WHERE id = %s", [target.pk])
    with pytest.raises(CommandError, match=f"记录 id {target.pk}"):
        verify()


def test_r17_a_deleted_middle_record_is_named(county: County) -> None:
    records = write_records(5)
    raw("DELETE FROM audit_auditrecord WHERE id = %s", [records[2].pk])
    with pytest.raises(CommandError, match=f"缺少记录 seq {records[2].seq}"):
        verify()


def test_r17_deleted_newest_records_are_detected_by_the_head(county: County) -> None:
    records = write_records(4)
    raw("DELETE FROM audit_auditrecord WHERE id = %s", [records[-1].pk])
    with pytest.raises(CommandError, match="链尾不符"):
        verify()


def test_r17_reordered_records_are_detected(county: County) -> None:
    records = write_records(4)
    a, b = records[1], records[2]
    raw("UPDATE audit_auditrecord SET seq = 0 WHERE id = %s", [a.pk])
    raw("UPDATE audit_auditrecord SET seq = %s WHERE id = %s", [a.seq, b.pk])
    raw("UPDATE audit_auditrecord SET seq = %s WHERE id = %s", [b.seq, a.pk])
    with pytest.raises(CommandError, match=f"记录 id {b.pk}"):
        verify()


def test_r17_a_forged_record_without_the_key_is_detected(county: County) -> None:
    records = write_records(2)
    last = records[-1]
    raw(
        "INSERT INTO audit_auditrecord (at, actor_name, action, object_type, object_id,"
        " object_repr, success, changes, role, user_agent, request_id, seq, mac)"
        " VALUES (%s, 'x', 'forged', '', '', '', %s, '{}', '', '', '', %s, %s)",
        [timezone.now(), True, last.seq + 1, "0" * 64],
    )
    raw("UPDATE audit_auditchainhead SET seq = %s", [last.seq + 1])
    with pytest.raises(CommandError, match=f"seq {last.seq + 1}"):
        verify()


def test_r17_key_file_is_private(county: County, settings: Settings) -> None:
    chain.audit_key()
    path = settings.VAR_DIR / "audit_key"
    if path.exists():  # absent when XINBAO_AUDIT_KEY is set
        assert path.stat().st_mode & 0o077 == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r17_concurrent_writers_form_one_gap_free_chain(county: County) -> None:
    """Several threads (separate connections, like separate app servers) write at once."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers through its own lock; the race is PostgreSQL's")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    audit_record(actor=None, action=f"thread.{n}.{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert AuditRecord.objects.filter(action__startswith="thread.").count() == 60
    verify()


# --- R18: no change without its record; only the audit administrator reads -------------------


def test_r18_if_the_audit_write_fails_the_change_fails(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = make_item(officer=county.officer_a)
    client = signed_in(county.officer_a)
    client.raise_request_exception = False

    def refuse(self: AuditRecord, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr(AuditRecord, "save", refuse)
    response = client.post(f"/items/{item.pk}/move/", {"action": "submit"})
    assert response.status_code == 500
    item.refresh_from_db()
    assert item.state == State.DRAFT
    assert not item.events.exists()  # type: ignore[attr-defined]
    created = client.post(
        "/items/new/",
        {"title": "不应保存", "body": "正文" * 20, "category": item.category_id, "urgency": 0},
    )
    assert created.status_code in (200, 500)
    assert not Item.objects.filter(title="不应保存").exists()


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.SECADMIN, Role.EDITOR, Role.OFFICER])
def test_r18_only_the_audit_administrator_reads_and_exports(county: County, role: str) -> None:
    unit = county.dept if role == Role.EDITOR else county.town_a if role == Role.OFFICER else None
    client = Client()
    client.force_login(make_user(role=role, unit=unit))
    for path in ("/audit/", "/audit/export/?format=csv", "/audit/export/?format=xlsx"):
        assert client.get(path).status_code in (403, 404), (role, path)
    auditor = Client()
    auditor.force_login(make_user(role=Role.AUDITADMIN))
    assert auditor.get("/audit/").status_code == 200


def test_r18_audit_log_filters_paginates_and_exports(county: County) -> None:
    write_records(3, actor=county.editor)
    client = Client()
    client.force_login(make_user(role=Role.AUDITADMIN, username="aud"))
    page = client.get("/audit/", {"actor": "ed", "action": "test."}).content.decode()
    assert page.count("test.event") == 3
    today = timezone.localdate().isoformat()
    assert "test.event" not in client.get("/audit/", {"date_to": "2000-01-01"}).content.decode()
    assert "test.event" in client.get("/audit/", {"date_from": today}).content.decode()
    bad = client.get("/audit/", {"date_from": "昨天"})
    assert bad.status_code == 200 and "请输入日期" in bad.content.decode()
    assert 'value="昨天"' in bad.content.decode()
    csv = b"".join(client.get("/audit/export/", {"format": "csv", "actor": "ed"}).streaming_content)  # type: ignore[attr-defined]
    assert csv.decode("utf-8-sig").count("test.event") == 3
    xlsx = client.get("/audit/export/", {"format": "xlsx", "action": "test."})
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 4  # header + 3


def test_r18_audit_log_query_count_does_not_grow_with_rows(
    county: County, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = Client()
    client.force_login(make_user(role=Role.AUDITADMIN, username="aud2"))
    client.get("/audit/")  # warm up (session, content types)
    write_records(3, actor=county.editor)
    # session, user, unread-message badge, count, page (no OTP device query: the session's
    # record of the second factor, R08)
    with django_assert_num_queries(5) as small:
        client.get("/audit/")
    write_records(60, actor=county.editor)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/audit/")


# --- R19: retention -------------------------------------------------------------------


def test_r19_purge_refuses_anything_younger_than_180_days(db: None) -> None:
    write_records(2)
    with pytest.raises(CommandError, match="至少保留 180 天"):
        call_command("audit", "purge", "--before", (timezone.localdate()).isoformat())
    recent = timezone.now() - datetime.timedelta(days=30)
    with pytest.raises(PurgeRefused):
        audit_purge(before=recent)
    assert AuditRecord.objects.count() == 2


def test_r19_purge_removes_only_old_records_and_the_chain_still_verifies(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - datetime.timedelta(days=400))
    old = write_records(3)
    monkeypatch.setattr(timezone, "now", lambda: real_now() - datetime.timedelta(days=100))
    kept = write_records(2)
    monkeypatch.setattr(timezone, "now", real_now)
    day = (timezone.localdate() - datetime.timedelta(days=200)).isoformat()
    call_command("audit", "purge", "--before", day)
    remaining = set(AuditRecord.objects.values_list("pk", flat=True))
    assert not remaining & {r.pk for r in old}
    assert {r.pk for r in kept} <= remaining
    purged = AuditRecord.objects.get(action="audit.purged")
    assert purged.changes["count"] == 3
    assert AuditAnchor.objects.get().seq == old[-1].seq
    verify()
    write_records(1)
    verify()


def test_r19_an_anchor_without_its_purge_record_is_reported(db: None) -> None:
    records = write_records(3)
    raw("DELETE FROM audit_auditrecord WHERE seq <= %s", [records[1].seq])
    AuditAnchor.objects.create(
        seq=records[1].seq, mac=records[1].mac, purged_before=timezone.now(), purged_count=2
    )
    with pytest.raises(CommandError, match="没有对应的清理记录"):
        verify()


def test_r19_settings_check_refuses_retention_below_180_days(settings: Settings) -> None:
    settings.XINBAO_AUDIT_RETENTION_DAYS = 30
    assert any(m.id == "xinbao.audit.E001" for m in run_checks())
    settings.XINBAO_AUDIT_RETENTION_DAYS = 180
    assert not any(m.id == "xinbao.audit.E001" for m in run_checks())


def test_r18_api_gives_records_and_the_chain_check_to_the_audit_administrator_only(
    county: County,
) -> None:
    from xinbao.api.services import token_create

    write_records(3, actor=county.editor)
    _, auditor = token_create(user=make_user(role=Role.AUDITADMIN, username="aud_api"))
    _, sysadmin = token_create(user=county.sysadmin)
    client = Client()

    def get(path: str, token: str) -> Any:
        return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})

    page = get("/audit/records?actor=ed&limit=2", auditor)
    assert page.status_code == 200
    body = page.json()
    assert len(body["records"]) == 2 and body["next_cursor"]
    assert {r["action"] for r in body["records"]} <= {"test.event0", "test.event1", "test.event2"}
    assert get("/audit/verify", auditor).json()["ok"] is True
    assert get("/audit/records", sysadmin).status_code == 403
    assert get("/audit/verify", sysadmin).status_code == 403


def test_r17_verification_reads_rows_whose_canonical_form_is_the_writers(county: County) -> None:
    """``verify`` reads plain rows (``LINK_COLUMNS``), not model instances: their canonical bytes
    must be those ``audit_record`` signed, for every kind of value."""
    with transaction.atomic():
        audit_record(
            actor=county.editor, action="test.a", obj=county.dept, changes={"b": [1, None]}
        )
        audit_record(actor=None, action="test.b", changes={"z": {"y": "中文\n", "a": 1.5}})
    rows = AuditRecord.objects.filter(seq__isnull=False).values_list(*chain.LINK_COLUMNS)
    records = {r.pk: r for r in AuditRecord.objects.filter(seq__isnull=False)}
    assert rows
    for row in rows:
        assert chain.canonical_values(*row[1:-1]) == chain.canonical(records[row[0]])
    # A stored time with microseconds (written around ``utc_ms``) is truncated the same way.
    moment = datetime.datetime(2026, 3, 1, 8, 0, 0, 123999, tzinfo=datetime.UTC)
    record = AuditRecord(at=moment, action="x", seq=1)
    assert b'"at":"2026-03-01T08:00:00.123+00:00"' in chain.canonical(record)


@pytest.mark.parametrize("position", [0, 3, 6])
def test_r17_a_changed_byte_is_named_across_page_boundaries(county: County, position: int) -> None:
    records = write_records(7)
    target = records[position]
    raw("UPDATE audit_auditrecord SET changes = '{\"n\": 1}' WHERE id = %s", [target.pk])
    verdict = chain.verify_chain(chunk=3)
    assert not verdict.ok and verdict.record_id == target.pk
    with pytest.raises(CommandError, match=f"记录 id {target.pk}"):
        verify()
