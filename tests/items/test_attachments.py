"""Attachments: the type comes from the content, never from the name; downloads go through the
item's access check."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from tests.conftest import County
from tests.factories import docx_bytes, make_item, png_bytes, put_in_state
from xinbao.audit.models import AuditRecord
from xinbao.items.attachments import DOCX_MIME, attachment_add, sniff
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Attachment, State

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 112
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
REFUSED_TYPE = "只能上传 Word(.docx)、PDF 或图片"
REFUSED_TYPE_RE = re.escape(REFUSED_TYPE)


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("data/readme.txt", "不是 Word")
    return out.getvalue()


def upload(
    name: str, data: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "data", "mime", "stored_name"),
    [
        ("照片.png", png_bytes(), "image/png", "照片.png"),
        ("现场.jpg", JPEG, "image/jpeg", "现场.jpg"),
        ("通知.pdf", PDF, "application/pdf", "通知.pdf"),
        ("材料.docx", docx_bytes("材料", "正文。"), DOCX_MIME, "材料.docx"),
        ("现场.JPEG", JPEG, "image/jpeg", "现场.JPEG"),
        # Only the last part of the name is kept, as metadata.
        ("../../etc/passwd.pdf", PDF, "application/pdf", "passwd.pdf"),
        ("C:\\Users\\文件\\通知.pdf", PDF, "application/pdf", "通知.pdf"),
    ],
)
def test_accepted_types_are_stored_with_the_sniffed_type(
    county: County, media_root: Path, name: str, data: bytes, mime: str, stored_name: str
) -> None:
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(
        item=item, actor=county.officer_a, upload=upload(name, data, "text/html")
    )
    attachment.refresh_from_db()
    assert attachment.content_type == mime
    assert attachment.original_name == stored_name
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(media_root.resolve())
    assert stored.read_bytes() == data
    audit = AuditRecord.objects.latest("id")
    assert (audit.action, audit.actor_id, audit.object_id) == (
        "item.attachment_add",
        county.officer_a.pk,
        str(item.pk),
    )
    assert audit.changes["sha256"] == attachment.sha256


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("通知.pdf", EXE),
        ("setup.exe", EXE),
        ("通知.pdf", HTML),
        ("page.html", HTML),
        ("材料.docx", plain_zip()),
        ("说明.docx", "纯文本冒充的 Word 文件".encode()),
        ("空.png", b"\x00" * 16),
    ],
)
def test_other_types_are_refused_with_a_chinese_message(
    county: County, media_root: Path, name: str, data: bytes
) -> None:
    item = make_item(officer=county.officer_a)
    audits = AuditRecord.objects.count()
    with pytest.raises(InvalidInput, match=REFUSED_TYPE_RE):
        attachment_add(item=item, actor=county.officer_a, upload=upload(name, data, "image/png"))
    assert not Attachment.objects.exists()
    assert files_under(media_root) == []
    assert AuditRecord.objects.count() == audits


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("照片.pdf", png_bytes()),
        ("照片.jpg", png_bytes()),
        ("材料.pdf", docx_bytes("材料")),
    ],
)
def test_r22_allowed_content_under_another_allowed_extension_is_refused(
    county: County, media_root: Path, name: str, data: bytes
) -> None:
    item = make_item(officer=county.officer_a)
    with pytest.raises(InvalidInput, match=r"扩展名.*与文件实际内容不符"):
        attachment_add(item=item, actor=county.officer_a, upload=upload(name, data))
    assert files_under(media_root) == []


@pytest.mark.parametrize("name", ["无扩展名", "材料.zip", "../../etc/passwd"])
def test_r22_names_without_an_allowed_extension_are_refused(
    county: County, media_root: Path, name: str
) -> None:
    item = make_item(officer=county.officer_a)
    with pytest.raises(InvalidInput, match=REFUSED_TYPE_RE):
        attachment_add(item=item, actor=county.officer_a, upload=upload(name, PDF))
    assert files_under(media_root) == []


@override_settings(XINBAO_MAX_ATTACHMENT_BYTES=1024)
def test_oversize_file_is_refused(county: County, media_root: Path) -> None:
    item = make_item(officer=county.officer_a)
    big = PDF + b"\x00" * 1024
    with pytest.raises(InvalidInput, match="附件不能超过") as refused:
        attachment_add(item=item, actor=county.officer_a, upload=upload("大文件.pdf", big))
    assert "1.0\xa0KB" in str(refused.value)
    assert not Attachment.objects.exists()
    assert files_under(media_root) == []


@override_settings(XINBAO_MAX_ATTACHMENT_BYTES=1024)
def test_file_at_the_limit_is_accepted(county: County, media_root: Path) -> None:
    item = make_item(officer=county.officer_a)
    exact = PDF + b"\x00" * (1024 - len(PDF))
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", exact))
    assert attachment.size == 1024


def test_sniff_ignores_a_zip_without_a_word_document() -> None:
    assert sniff(plain_zip()) is None
    assert sniff(b"PK\x03\x04 broken zip") is None
    assert sniff(docx_bytes("x")) == DOCX_MIME


@pytest.mark.parametrize("state", [State.PENDING_SIGNOFF, State.SUBMITTED, State.ADOPTED])
def test_officer_cannot_attach_once_the_item_left_the_desk(
    county: County, media_root: Path, state: State
) -> None:
    item = put_in_state(make_item(officer=county.officer_a), state)
    with pytest.raises(NotAllowed, match="不能为这条信息添加附件"):
        attachment_add(item=item, actor=county.officer_a, upload=upload("a.pdf", PDF))
    assert files_under(media_root) == []


def test_dept_leader_and_unit_leader_cannot_attach(county: County, media_root: Path) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    for person in (county.dept_leader, county.leader_a):
        with pytest.raises(NotAllowed):
            attachment_add(item=item, actor=person, upload=upload("a.pdf", PDF))


def test_editor_may_attach_during_review(county: County, media_root: Path) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.IN_REVIEW)
    attachment = attachment_add(item=item, actor=county.editor, upload=upload("a.pdf", PDF))
    assert attachment.uploaded_by == county.editor


# Through the pages.


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_upload_page_then_download_through_the_access_check(
    county: County, media_root: Path
) -> None:
    item = make_item(officer=county.officer_a)
    officer = client_for(county.officer_a)
    response = officer.post(
        f"/items/{item.pk}/attachments/",
        {"file": upload("现场照片.png", png_bytes())},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/items/{item.pk}/edit/"
    page = response.content.decode()
    assert "附件已上传。" in page
    attachment = Attachment.objects.get()
    assert attachment.original_name == "现场照片.png"
    assert "现场照片.png" in page

    put_in_state(item, State.SUBMITTED)
    for person in (county.officer_a, county.officer_a2, county.leader_a, county.editor):
        response = client_for(person).get(f"/items/{item.pk}/attachments/{attachment.pk}/")
        assert response.status_code == 200, person.username
        assert response.content == png_bytes()
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for person in (county.officer_b, county.leader_b, county.other_editor, county.sysadmin):
        response = client_for(person).get(f"/items/{item.pk}/attachments/{attachment.pk}/")
        assert response.status_code == 404, person.username


def test_refused_upload_through_the_page_shows_why(county: County, media_root: Path) -> None:
    item = make_item(officer=county.officer_a)
    response = client_for(county.officer_a).post(
        f"/items/{item.pk}/attachments/", {"file": upload("通知.pdf", HTML)}, follow=True
    )
    assert REFUSED_TYPE in response.content.decode()
    assert not Attachment.objects.exists()
    assert files_under(media_root) == []


def test_upload_without_a_file_asks_for_one(county: County, media_root: Path) -> None:
    item = make_item(officer=county.officer_a)
    response = client_for(county.officer_a).post(f"/items/{item.pk}/attachments/", {}, follow=True)
    assert "请选择要上传的文件。" in response.content.decode()


def test_read_only_user_upload_is_refused_with_a_message(county: County, media_root: Path) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    response = client_for(county.dept_leader).post(
        f"/items/{item.pk}/attachments/", {"file": upload("a.pdf", PDF)}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/items/{item.pk}/"
    assert "不能为这条信息添加附件" in response.content.decode()
    assert not Attachment.objects.exists()


def test_out_of_scope_upload_is_404_and_stores_nothing(county: County, media_root: Path) -> None:
    item = make_item(officer=county.officer_a)
    response = client_for(county.officer_b).post(
        f"/items/{item.pk}/attachments/", {"file": upload("a.pdf", PDF)}
    )
    assert response.status_code == 404
    assert files_under(media_root) == []
