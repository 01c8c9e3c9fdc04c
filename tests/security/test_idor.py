"""R12: guessing or incrementing ids leaks nothing. For every item endpoint (page and API, read
and write, the item and its attachment), someone with no business with the item gets the same 404
as for an id that does not exist; the owner and the owner's unit get it; nothing changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_attachment, make_item, put_in_state
from xinbao.api.services import token_create
from xinbao.items.models import Item
from xinbao.items.workflow import State
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

TITLE = "甲镇越权测试信息标题"


def pages(item_id: int, attachment_id: int) -> list[str]:
    return [
        reverse("items:detail", args=[item_id]),
        reverse("items:edit", args=[item_id]),
        reverse("items:attachment", args=[item_id, attachment_id]),
        reverse("topics:item_key_work", args=[item_id]),
    ]


def writes(item_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        (reverse("items:edit", args=[item_id]), {"title": "改写", "body": "改写"}),
        (reverse("items:move", args=[item_id]), {"action": "adopt"}),
        (reverse("items:attach", args=[item_id]), {}),
        (reverse("topics:item_key_work", args=[item_id]), {}),
    ]


def api_paths(item_id: int, attachment_id: int) -> list[str]:
    return [
        f"/items/{item_id}",
        f"/items/{item_id}/history",
        f"/items/{item_id}/revisions",
        f"/items/{item_id}/attachments",
        f"/items/{item_id}/attachments/{attachment_id}",
        f"/items/{item_id}/secrecy",
    ]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: User) -> ApiClient:
    return ApiClient(token_create(user=user)[1])


def test_r12_guessed_ids_answer_404_like_missing_ones_pages_and_api(county: County) -> None:
    item = put_in_state(make_item(officer=county.officer_a, title=TITLE), State.IN_REVIEW)
    attachment = make_attachment(item=item)
    missing = Item.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    # charlie: an officer and an editor of another county; no business with the item
    for charlie in (county.other_officer, county.other_editor):
        client, api = signed_in(charlie), api_for(charlie)
        for real, ghost in zip(
            pages(item.pk, attachment.pk), pages(missing, attachment.pk), strict=True
        ):
            response = client.get(real)
            assert response.status_code == 404, (charlie.username, real)
            assert TITLE not in response.content.decode()
            assert client.get(ghost).status_code == 404
        for (real, data), (ghost, _) in zip(writes(item.pk), writes(missing), strict=True):
            assert client.post(real, data).status_code == 404, (charlie.username, real)
            assert client.post(ghost, data).status_code == 404
        for real, ghost in zip(
            api_paths(item.pk, attachment.pk), api_paths(missing, attachment.pk), strict=True
        ):
            answer, none = api.get(real), api.get(ghost)
            assert answer.status_code == none.status_code == 404, (charlie.username, real)
            assert answer.content == none.content  # the same body: existence is not revealed
        patch = {"version": item.version, "title": "改写"}
        assert api.patch(f"/items/{item.pk}", patch).status_code == 404
        assert api.patch(f"/items/{missing}", patch).status_code == 404
        move = {"action": "return", "comment": "越权退回"}
        assert api.post(f"/items/{item.pk}/transitions", move).status_code == 404
    item.refresh_from_db()
    assert (item.title, item.state) == (TITLE, State.IN_REVIEW)
    # alice (the author), bob (an officer of the same unit) and the receiving editor see it
    for user in (county.officer_a, county.officer_a2, county.editor):
        assert signed_in(user).get(pages(item.pk, attachment.pk)[0]).status_code == 200
        assert signed_in(user).get(pages(item.pk, attachment.pk)[2]).status_code == 200
        assert api_for(user).get(f"/items/{item.pk}").status_code == 200


def test_r12_an_attachment_id_is_only_reachable_under_its_own_item(county: County) -> None:
    """Pairing a visible item's id with another item's attachment id gives 404, not the file."""
    mine = make_item(officer=county.other_officer, title="外县信息")
    theirs = make_item(officer=county.officer_a, title=TITLE)
    attachment = make_attachment(item=theirs, data=b"\x89PNG\r\n\x1a\n" + b"secret" * 10)
    client, api = signed_in(county.other_officer), api_for(county.other_officer)
    assert client.get(reverse("items:attachment", args=[mine.pk, attachment.pk])).status_code == 404
    assert api.get(f"/items/{mine.pk}/attachments/{attachment.pk}").status_code == 404
    # and no upload has a public URL
    assert Client().get(f"/media/{attachment.file.name}").status_code in (302, 404)
