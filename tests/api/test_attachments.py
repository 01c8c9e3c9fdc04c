"""Attachments through the API: the same content checks as the page; downloads in scope only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_attachment, make_item, png_bytes, put_in_state
from xinbao.items.models import Attachment, State
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]


def test_officer_uploads_and_downloads_an_attachment(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a)
    client = api(county.officer_a)
    response = client.upload(f"/items/{item.pk}/attachments", "现场照片.png", png_bytes())
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["content_type"]) == ("现场照片.png", "image/png")
    assert body["uploaded_by"]["username"] == "off_a"
    listed = client.get(f"/items/{item.pk}/attachments").json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert client.get(f"/items/{item.pk}").json()["attachments"][0]["id"] == body["id"]
    download = client.get(f"/items/{item.pk}/attachments/{body['id']}")
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download.content == png_bytes()


def test_upload_refusals(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a)
    client = api(county.officer_a)
    wrong = client.upload(f"/items/{item.pk}/attachments", "病毒.exe", b"MZ\x90\x00" * 10)
    assert wrong.status_code == 400
    assert wrong.json()["detail"].startswith("只能上传 Word")
    missing = client.client.post(
        f"/api/v1/items/{item.pk}/attachments", {}, headers=client.headers()
    )
    assert missing.status_code == 400
    assert missing.json()["detail"] == "请只上传一个文件,字段名为 file。"
    put_in_state(item, State.SUBMITTED)
    late = client.upload(f"/items/{item.pk}/attachments", "照片.png", png_bytes())
    assert late.status_code == 403
    assert not Attachment.objects.exists()


def test_attachments_of_an_item_out_of_scope_are_404(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a)
    attachment = make_attachment(item=item)
    other = api(county.officer_b)
    assert other.get(f"/items/{item.pk}/attachments").status_code == 404
    assert other.get(f"/items/{item.pk}/attachments/{attachment.pk}").status_code == 404
    assert other.upload(f"/items/{item.pk}/attachments", "a.png", png_bytes()).status_code == 404
    mine = api(county.officer_a)
    assert mine.get(f"/items/{item.pk}/attachments/{attachment.pk + 1}").status_code == 404
