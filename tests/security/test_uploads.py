"""Input and files (SECURITY.md R20–R24): validation, sanitizing, upload limits, typing by
content, zip bombs, storage, safe downloads, SM3 integrity with the scrub, the virus scanner."""

from __future__ import annotations

import hashlib
import io
import re
import socket
import socketserver
import stat
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import County
from tests.factories import docx_bytes, make_item, png_bytes, put_in_state
from xinbao.audit.models import AuditRecord
from xinbao.items.attachments import IntegrityViolation, attachment_add, attachment_bytes
from xinbao.items.docx_extract import extract_docx
from xinbao.items.errors import InvalidInput
from xinbao.items.models import Attachment, Item, State
from xinbao.items.services import transition
from xinbao.orgs.importing import UnitImportError, unit_import
from xinbao.publishing.models import Publication
from xinbao.publishing.services import issue_add_item, issue_create, issue_publish
from xinbao.uploads import ClamdScanner, ScannerUnavailable, check_zip, sm3_hex
from xinbao.web.sanitize import clean_html

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def media_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def bomb(member: str, size: int, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip whose ``member`` unpacks to ``size`` zero bytes (a few hundred KB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        with archive.open(member, "w", force_zip64=True) as handle:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                handle.write(chunk)
    return out.getvalue()


# --- R20 validation and sanitizing ---------------------------------------------------------------


@fuzz_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=st.text(max_size=260), body=st.text(max_size=400), urgency=st.text(max_size=3))
def test_r20_item_form_fuzz_never_fails_and_refusals_are_chinese(
    county: County, title: str, body: str, urgency: str
) -> None:
    officer = client_for(county.officer_a)
    data = {"title": title, "body": body, "category": "1", "urgency": urgency}
    response = officer.post(reverse("items:new"), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        form = response.context["form"]
        messages = [m for errors in form.errors.values() for m in errors]
        assert messages and all(CJK.search(m) for m in messages), messages


def test_r20_too_long_title_is_refused_and_the_typed_text_kept(county: County) -> None:
    typed = "长" * 201
    response = client_for(county.officer_a).post(
        reverse("items:new"), {"title": typed, "body": "正文。", "category": "1", "urgency": "0"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert typed in html and "200" in html
    assert not Item.objects.exists()


def test_r20_control_characters_in_the_text_are_refused(county: County) -> None:
    response = client_for(county.officer_a).post(
        reverse("items:new"),
        {"title": "标题", "body": "正文\x07带响铃字符。", "category": "1", "urgency": "0"},
    )
    assert response.status_code == 200
    assert "控制字符" in response.content.decode()
    assert not Item.objects.exists()


XSS = [
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">点我</a>',
    '<svg onload="alert(1)"></svg>',
    '<img src=x onerror="alert(1)">',
]


def test_r20_xss_corpus_is_escaped_from_submit_to_the_public_column(county: County) -> None:
    item = make_item(
        officer=county.officer_a, title="甲镇" + XSS[0], body="\n".join(["开头。", *XSS])
    )
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="adopt")
    column = Publication.objects.create(
        department=county.dept, name="组工信息专栏", kind=Publication.Kind.WEB_COLUMN
    )
    issue = issue_create(publication=column, actor=county.editor)
    entry = issue_add_item(issue=issue, item=item, actor=county.editor)
    issue_publish(issue=issue, actor=county.editor)

    anon = Client()
    feed = ET.fromstring(anon.get(reverse("publishing:column_feed")).content)  # noqa: S314
    summaries = "".join(e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}summary"))
    pages = [
        anon.get(reverse("publishing:column_list")).content.decode(),
        anon.get(reverse("publishing:column_entry", args=[entry.pk])).content.decode(),
        summaries,  # the feed's HTML, once the XML is read
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "<svg onload" not in html and "<img src=x" not in html
        assert '<a href="javascript:' not in html
    assert "&lt;svg onload" in summaries
    page = anon.get(reverse("publishing:column_entry", args=[entry.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_r20_the_sanitizer_keeps_only_the_allow_list() -> None:
    dirty = (
        '<p class="ins" onclick="x()">段落<mark>换届</mark></p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">链接</a><svg onload="alert(1)"><circle/></svg>'
        '<span style="color:red" class="del">删</span><iframe src="//evil"></iframe>'
    )
    clean = str(clean_html(dirty))
    assert clean == '<p class="ins">段落<mark>换届</mark></p>链接<span class="del">删</span>'


# --- R21 size, count and zip bombs ---------------------------------------------------------------


def test_r21_file_over_the_limit_is_refused_before_it_is_stored(
    county: County, media_root: Path, settings: SettingsWrapper
) -> None:
    settings.XINBAO_MAX_ATTACHMENT_BYTES = 4096
    item = make_item(officer=county.officer_a)
    response = client_for(county.officer_a).post(
        reverse("items:attach", args=[item.pk]),
        {"file": upload("大.pdf", PDF + b"\0" * 4096)},
        follow=True,
    )
    assert "附件不能超过 4.0\xa0KB" in response.content.decode()
    assert files_under(media_root) == []
    assert not Attachment.objects.exists()


def test_r21_files_per_item_are_limited(
    county: County, media_root: Path, settings: SettingsWrapper
) -> None:
    settings.XINBAO_MAX_ATTACHMENTS_PER_ITEM = 2
    item = make_item(officer=county.officer_a)
    for n in range(2):
        attachment_add(item=item, actor=county.officer_a, upload=upload(f"{n}.pdf", PDF))
    with pytest.raises(InvalidInput, match="最多上传 2 个附件"):
        attachment_add(item=item, actor=county.officer_a, upload=upload("3.pdf", PDF))
    assert Attachment.objects.count() == 2


def test_r21_per_user_quota_is_enforced(
    county: County, media_root: Path, settings: SettingsWrapper
) -> None:
    settings.XINBAO_UPLOAD_QUOTA_BYTES = len(PDF) * 2
    item = make_item(officer=county.officer_a)
    for n in range(2):
        attachment_add(item=item, actor=county.officer_a, upload=upload(f"{n}.pdf", PDF))
    with pytest.raises(InvalidInput, match="附件总量已达上限"):
        attachment_add(item=item, actor=county.officer_a, upload=upload("3.pdf", PDF))
    other = make_item(officer=county.officer_a2)
    attachment_add(item=other, actor=county.officer_a2, upload=upload("a.pdf", PDF))


def test_r21_zip_bomb_docx_attachment_is_refused_quickly(county: County, media_root: Path) -> None:
    data = bomb("word/document.xml", 120 * 1024 * 1024)  # over the 100 MB default cap
    assert len(data) < 1024 * 1024
    item = make_item(officer=county.officer_a)
    started = time.monotonic()
    with pytest.raises(InvalidInput, match="压缩炸弹"):
        attachment_add(item=item, actor=county.officer_a, upload=upload("材料.docx", data))
    assert time.monotonic() - started < 2.0
    assert files_under(media_root) == []


def test_r21_one_guard_refuses_a_highly_compressed_member_in_every_zip_upload() -> None:
    data = bomb("word/document.xml", 20 * 1024 * 1024)  # under the cap, ~1000× compressed
    with pytest.raises(InvalidInput, match="压缩比异常"):
        extract_docx(data)
    sheet = bomb("xl/worksheets/sheet1.xml", 20 * 1024 * 1024, {"xl/workbook.xml": b"<x/>"})
    started = time.monotonic()
    with pytest.raises(UnitImportError) as refused:
        unit_import(data=sheet, actor=None, filename="单位.xlsx")
    assert "压缩比异常" in refused.value.messages[0]
    assert time.monotonic() - started < 2.0


def test_r21_zip_with_too_large_a_declared_total_is_refused_without_unpacking() -> None:
    from xinbao.uploads import UploadRefused

    with pytest.raises(UploadRefused, match="解压后过大"):
        check_zip(docx_bytes("正文"), max_unpacked=100)
    assert check_zip(docx_bytes("正文")).namelist()


# --- R22 typing by content, storage, downloads ---------------------------------------------------


@pytest.mark.parametrize(("name", "data"), [("通知.pdf", HTML), ("图.pdf", SVG), ("图.png", SVG)])
def test_r22_html_or_svg_renamed_is_refused(
    county: County, media_root: Path, name: str, data: bytes
) -> None:
    item = make_item(officer=county.officer_a)
    with pytest.raises(InvalidInput, match="只能上传"):
        attachment_add(item=item, actor=county.officer_a, upload=upload(name, data))
    assert files_under(media_root) == []


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\x.pdf", "/abs/通知.pdf"])
def test_r22_stored_under_a_random_name_inside_media_root_mode_0640(
    county: County, media_root: Path, name: str
) -> None:
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload(name, PDF))
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(media_root.resolve())
    assert re.fullmatch(r"attachments/[0-9a-f]{2}/[0-9a-f]{32}", attachment.file.name)
    assert ".." not in attachment.original_name and "/" not in attachment.original_name
    assert stat.S_IMODE(stored.stat().st_mode) == 0o640


def test_r22_download_headers_are_safe_and_there_is_no_static_url(
    county: County, media_root: Path
) -> None:
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(
        item=item, actor=county.officer_a, upload=upload("现场 照片.png", png_bytes())
    )
    url = reverse("items:attachment", args=[item.pk, attachment.pk])
    response = client_for(county.officer_a).get(url)
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87.png" in disposition
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    anon = Client()
    assert anon.get(url).status_code in (302, 404)  # to the login page, never the file
    for guess in (f"/media/{attachment.file.name}", f"/{attachment.file.name}"):
        assert anon.get(guess).status_code in (302, 404)
        assert client_for(county.officer_a).get(guess).status_code == 404


# --- R23 the virus scanner -----------------------------------------------------------------------


class EicarScanner:
    """Test double of a virus scanner: flags the EICAR test string."""

    def scan(self, data: bytes) -> str | None:
        return "Eicar-Test-Signature" if EICAR in data else None


class DownScanner:
    """Test double of a virus scanner that cannot be reached."""

    def scan(self, data: bytes) -> str | None:
        raise ScannerUnavailable("connection refused")


def test_r23_eicar_is_refused_and_audited(
    county: County, media_root: Path, settings: SettingsWrapper
) -> None:
    settings.XINBAO_VIRUS_SCANNER = "tests.security.test_uploads.EicarScanner"
    item = make_item(officer=county.officer_a)
    response = client_for(county.officer_a).post(
        reverse("items:attach", args=[item.pk]),
        {"file": upload("eicar.pdf", PDF + EICAR)},
        follow=True,
    )
    assert "未通过病毒查杀" in response.content.decode()
    assert files_under(media_root) == [] and not Attachment.objects.exists()
    record = AuditRecord.objects.get(action="upload.malware")
    assert record.success is False
    assert record.changes["signature"] == "Eicar-Test-Signature"
    attachment_add(item=item, actor=county.officer_a, upload=upload("干净.pdf", PDF))


def test_r23_unavailable_scanner_fails_closed(
    county: County, media_root: Path, settings: SettingsWrapper
) -> None:
    settings.XINBAO_VIRUS_SCANNER = "tests.security.test_uploads.DownScanner"
    item = make_item(officer=county.officer_a)
    with pytest.raises(InvalidInput, match="病毒查杀服务暂不可用"):
        attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", PDF))
    assert files_under(media_root) == []
    assert AuditRecord.objects.filter(action="upload.scanner_unavailable").exists()


def test_r23_clamd_configured_at_a_missing_socket_fails_closed(
    county: County, media_root: Path, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.XINBAO_VIRUS_SCANNER = "xinbao.uploads.ClamdScanner"
    settings.XINBAO_CLAMD_SOCKET = str(tmp_path / "no-clamd.sock")
    item = make_item(officer=county.officer_a)
    with pytest.raises(InvalidInput, match="病毒查杀服务暂不可用"):
        attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", PDF))
    assert not Attachment.objects.exists()


@pytest.fixture
def fake_clamd(tmp_path: Path) -> Iterator[str]:
    """A stand-in clamd on a Unix socket speaking INSTREAM: FOUND for EICAR, else OK."""
    path = str(tmp_path / "clamd.sock")

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            command = b""
            while not command.endswith(b"\0"):
                command += conn.recv(1)
            assert command == b"zINSTREAM\0"
            data = b""
            while True:
                size = int.from_bytes(conn.recv(4, socket.MSG_WAITALL), "big")
                if size == 0:
                    break
                data += conn.recv(size, socket.MSG_WAITALL)
            verdict = b"Eicar-Test-Signature FOUND" if EICAR in data else b"OK"
            conn.sendall(b"stream: " + verdict + b"\0")

    server = socketserver.UnixStreamServer(path, Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    server.server_close()


def test_r23_clamd_scanner_speaks_instream(fake_clamd: str) -> None:
    scanner = ClamdScanner(path=fake_clamd, timeout=5)
    assert scanner.scan(PDF * 5000) is None  # several chunks
    assert scanner.scan(EICAR) == "Eicar-Test-Signature"


# --- R24 integrity -------------------------------------------------------------------------------


def test_r24_sm3_digest_is_taken_at_upload(county: County, media_root: Path) -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", PDF))
    assert attachment.sm3 == hashlib.new("sm3", PDF).hexdigest()
    assert AuditRecord.objects.latest("id").changes["sm3"] == attachment.sm3


def flip_a_byte(attachment: Attachment) -> None:
    path = Path(attachment.file.path)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))


def test_r24_tampered_file_is_refused_at_download_with_an_audit_event(
    county: County, media_root: Path
) -> None:
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", PDF))
    flip_a_byte(attachment)
    response = client_for(county.officer_a).get(
        reverse("items:attachment", args=[item.pk, attachment.pk])
    )
    assert response.status_code == 409
    assert "完整性校验未通过" in response.content.decode()
    record = AuditRecord.objects.get(action="integrity.violation")
    assert (record.success, record.object_id) == (False, str(attachment.pk))
    with pytest.raises(IntegrityViolation):
        attachment_bytes(attachment=attachment, actor=county.officer_a)


def test_r24_tampered_file_is_refused_through_the_api(county: County, media_root: Path) -> None:
    from xinbao.api.services import token_create

    item = make_item(officer=county.officer_a)
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", PDF))
    flip_a_byte(attachment)
    _token, secret = token_create(user=county.officer_a, name="测试")
    response = Client().get(
        f"/api/v1/items/{item.pk}/attachments/{attachment.pk}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 409
    assert "完整性校验未通过" in response.json()["detail"]


def test_r24_scrub_reports_corrupt_missing_and_orphan_files_and_exits_non_zero(
    county: County, media_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.DRAFT)
    intact, corrupt, missing = (
        attachment_add(item=item, actor=county.officer_a, upload=upload(f"{n}.pdf", PDF))
        for n in ("完好", "损坏", "缺失")
    )
    flip_a_byte(corrupt)
    Path(missing.file.path).unlink()
    orphan = media_root / "attachments" / "zz" / "stray"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")

    with pytest.raises(SystemExit) as exited:
        call_command("scrub", "--no-progress")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert f"损坏\t附件 {corrupt.pk}" in out
    assert f"缺失\t附件 {missing.pk}" in out
    assert "孤立\tattachments/zz/stray" in out
    assert f"附件 {intact.pk}" not in out
    record = AuditRecord.objects.get(action="integrity.scrub")
    assert record.changes["corrupt"] == [corrupt.pk] and record.success is False


def test_r24_scrub_of_intact_files_exits_zero(
    county: County, media_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = make_item(officer=county.officer_a)
    attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", PDF))
    call_command("scrub", "--no-progress", "--format", "json")
    assert capsys.readouterr().out.strip() == '{"missing": [], "corrupt": [], "orphans": []}'


def test_r24_behind_nginx_the_verified_file_is_sent_by_nginx(
    county: County, media_root: Path, settings: SettingsWrapper
) -> None:
    """With ``XINBAO_ACCEL_REDIRECT_PREFIX`` (deploy/nginx: an ``internal`` location over the
    media root) the page and the API answer an authorized download of a verified attachment
    with ``X-Accel-Redirect`` and no body; an altered file is still refused, never redirected."""
    from xinbao.api.services import token_create

    settings.XINBAO_ACCEL_REDIRECT_PREFIX = "/protected/"
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload("报告.pdf", PDF))
    _token, secret = token_create(user=county.officer_a, name="测试")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    page_url = reverse("items:attachment", args=[item.pk, attachment.pk])
    api_url = f"/api/v1/items/{item.pk}/attachments/{attachment.pk}"
    for response in (client_for(county.officer_a).get(page_url), api.get(api_url)):
        assert response.status_code == 200
        assert response["X-Accel-Redirect"] == f"/protected/{attachment.file.name}"
        assert response.content == b""
        assert response["Content-Type"] == "application/pdf"
        assert "filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(county.other_officer).get(page_url).status_code == 404
    flip_a_byte(attachment)
    for response in (client_for(county.officer_a).get(page_url), api.get(api_url)):
        assert response.status_code == 409 and "X-Accel-Redirect" not in response
