"""Near-duplicates beyond the item's own text: its attachments' text, and the officer's check of
text as typed, before anything is saved."""

from __future__ import annotations

import random
from pathlib import Path

from bench import near_duplicates as nd
from django.test import Client
from django.urls import reverse

from tests.conftest import County
from tests.factories import PASSWORD, docx_bytes, make_attachment, make_item
from xinbao.items.attachments import DOCX_MIME
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.orgs.models import User
from xinbao.search.models import SimilarPair


def add(officer: User, src: nd.Source, *, submit: bool = False) -> Item:
    item = make_item(officer=officer, title=src.title, body=src.body)
    if submit:
        item = transition(item=item, actor=officer, action="submit")
    return item


def flagged_with(item: Item) -> set[int]:
    return set(SimilarPair.objects.filter(item=item, flagged=True).values_list("other", flat=True))


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_copy_inside_a_word_attachment_is_a_near_duplicate(
    county: County, client: Client, media_root: Path
) -> None:
    rng = random.Random("attachment")
    src = nd.source(rng, "election")
    reported = add(county.officer_a, src, submit=True)
    # A new item of another unit whose own text is unrelated, with the reported item's text
    # pasted into a Word attachment.
    cover = nd.source(rng, "education")
    carrier = make_item(officer=county.officer_b, title="报送材料", body=cover.paragraphs[0])
    assert reported.pk not in flagged_with(carrier)
    make_attachment(
        item=carrier,
        data=docx_bytes(*src.paragraphs),
        name="材料.docx",
        content_type=DOCX_MIME,
    )
    assert reported.pk in flagged_with(carrier)
    assert carrier.pk in flagged_with(reported)
    # The passage view shows the attachment's paragraph beside the original one.
    transition(item=carrier, actor=county.officer_b, action="submit")
    transition(item=carrier, actor=county.leader_b, action="approve")
    login(client, county.editor)
    html = client.get(reverse("search:passages", args=[carrier.pk, reported.pk])).content.decode()
    longest = max(src.paragraphs, key=len)
    assert html.count("<mark>" + longest[:20]) == 2
    # The attachment deleted, the pair goes.
    carrier.attachments.get().delete()
    assert reported.pk not in flagged_with(carrier)
    assert carrier.pk not in flagged_with(reported)


def check(client: Client, title: str, body: str, **extra: object) -> tuple[int, str]:
    response = client.post(
        reverse("search:check_draft"),
        {"title": title, "body": body, **extra},
        HTTP_HX_REQUEST="true",
    )
    return response.status_code, response.content.decode()


def test_text_as_typed_is_checked_before_saving_and_lists_only_what_the_writer_may_see(
    county: County, client: Client
) -> None:
    rng = random.Random("typed")
    src = nd.source(rng, "election")
    reported = add(county.officer_a, src, submit=True)
    unreported = add(county.officer_a, nd.source(rng, "education"))  # a draft: never warned of
    copy = nd.variant(rng, src, "insert")
    counts = (Item.objects.count(), SimilarPair.objects.count())

    # The writer's own unit reported it: warned, and shown the item.
    login(client, county.officer_a)
    status, html = check(client, copy.title, copy.body)
    assert status == 200
    assert "与已报送信息高度相似" in html and f'data-item="{reported.pk}"' in html
    assert "无权查看" not in html
    # Another unit of the county: warned, but shown nothing of the other unit's item.
    login(client, county.officer_b)
    status, html = check(client, copy.title, copy.body)
    assert "与已报送信息高度相似" in html and f'data-item="{reported.pk}"' not in html
    assert "另有 1 条" in html and src.title not in html
    # The county's editor sees the reported item.
    login(client, county.editor)
    assert f'data-item="{reported.pk}"' in check(client, copy.title, copy.body)[1]
    # A copy of an unreported draft, or a fresh text: no warning.
    login(client, county.officer_a)
    draft_copy = nd.variant(
        rng, nd.Source("x", unreported.title, unreported.body.split("\n")), "reorder"
    )
    assert "高度相似" not in check(client, draft_copy.title, draft_copy.body)[1]
    fresh = nd.source(rng, "education")
    assert "高度相似" not in check(client, fresh.title, fresh.body)[1]
    # Checking writes nothing.
    assert (Item.objects.count(), SimilarPair.objects.count()) == counts


def test_checking_a_saved_item_skips_itself_and_refuses_items_out_of_reach(
    county: County, client: Client
) -> None:
    rng = random.Random("typed-saved")
    src = nd.source(rng, "election")
    reported = add(county.officer_a, src, submit=True)
    login(client, county.officer_a)
    # Its own text, being edited: not its own duplicate.
    assert "高度相似" not in check(client, src.title, src.body, item=reported.pk)[1]
    # Another unit's item id: 404, as every item page.
    other = add(county.officer_b, nd.source(rng, "education"))
    assert check(client, src.title, src.body, item=other.pk)[0] == 404
    login(client, county.other_officer)
    assert check(client, src.title, src.body, item=reported.pk)[0] == 404


def test_checking_refuses_overlong_text_with_a_chinese_message(
    county: County, client: Client
) -> None:
    login(client, county.officer_a)
    status, html = check(client, "标" * 201, "正文")
    assert status == 400 and "无法查重" in html and "标题" in html


def test_item_form_checks_the_text_as_typed(county: County, client: Client) -> None:
    login(client, county.officer_a)
    html = client.get(reverse("items:new")).content.decode()
    assert f'hx-post="{reverse("search:check_draft")}"' in html
    item = make_item(officer=county.officer_a)
    html = client.get(reverse("items:edit", args=[item.pk])).content.decode()
    assert f'"item": "{item.pk}"' in html
    # Roles that write nothing, and administrators, have no business with it.
    login(client, county.sysadmin)
    assert check(client, "标题", "正文")[0] == 404
