"""The public web column (组工信息专栏): list, entry page and Atom feed, open without login.

The rule that matters most: an item marked internal (内部信息,不宜公开) never reaches a public
page, whichever way it got near the column. Each way is tried below.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from tests.conftest import County
from tests.factories import make_item
from xinbao.items.errors import InvalidInput
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.publishing.models import IssueEntry, Publication, PublicationIssue
from xinbao.publishing.services import (
    entry_update,
    issue_add_item,
    issue_correct,
    issue_create,
    issue_publish,
    issue_remove_entry,
)

ATOM = "{http://www.w3.org/2005/Atom}"
LIST_URL = reverse("publishing:column_list")
FEED_URL = reverse("publishing:column_feed")
CJK = re.compile(r"[\u4e00-\u9fff]")

Adopt = Callable[..., Item]
Publish = Callable[[Publication, Iterable[Item]], PublicationIssue]


def entry_url(entry: IssueEntry | int) -> str:
    pk = entry if isinstance(entry, int) else entry.pk
    return reverse("publishing:column_entry", args=[pk])


@pytest.fixture
def adopt(county: County) -> Adopt:
    """An item of 甲镇, submitted and adopted by the county department."""

    def build(title: str, **fields: Any) -> Item:
        item = make_item(officer=county.officer_a, title=title, **fields)
        transition(item=item, actor=county.officer_a, action="submit")
        return transition(item=item, actor=county.editor, action="adopt")

    return build


@pytest.fixture
def column(county: County) -> Publication:
    return Publication.objects.create(
        department=county.dept, name="组工信息专栏", kind=Publication.Kind.WEB_COLUMN
    )


@pytest.fixture
def periodical(county: County) -> Publication:
    return Publication.objects.create(
        department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
    )


@pytest.fixture
def publish(county: County) -> Publish:
    """A published issue of ``publication`` carrying ``items`` in that order."""

    def build(publication: Publication, items: Iterable[Item]) -> PublicationIssue:
        issue = issue_create(publication=publication, actor=county.editor)
        for item in items:
            issue_add_item(issue=issue, item=item, actor=county.editor)
        return issue_publish(issue=issue, actor=county.editor)

    return build


@pytest.fixture
def anon() -> Client:
    return Client()


def listed_headlines(client: Client, url: str = LIST_URL) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    page = response.context["page"]
    return [entry.headline for entry in page.object_list]


def feed(client: Client) -> ET.Element:
    response = client.get(FEED_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314 -- our own response, not untrusted input


def feed_titles(client: Client) -> list[str]:
    return [e.findtext(f"{ATOM}title") or "" for e in feed(client).iter(f"{ATOM}entry")]


def only_entry(issue: PublicationIssue) -> IssueEntry:
    return issue.entries.get()


# --- What the public sees ------------------------------------------------------------------------


def test_anonymous_visitor_sees_published_column_entries_newest_first(
    anon: Client, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    publish(column, [adopt("甲镇开展党员积分管理"), adopt("甲镇建强村级后备力量")])
    publish(column, [adopt("甲镇推行党员联户")])

    assert listed_headlines(anon) == [
        "甲镇推行党员联户",
        "甲镇开展党员积分管理",
        "甲镇建强村级后备力量",
    ]


def test_drafts_other_outlets_and_inactive_columns_are_absent(
    anon: Client,
    county: County,
    adopt: Adopt,
    column: Publication,
    periodical: Publication,
    publish: Publish,
) -> None:
    publish(column, [adopt("公开的信息")])
    draft = issue_create(publication=column, actor=county.editor)
    in_draft = issue_add_item(issue=draft, item=adopt("还在编辑中的信息"), actor=county.editor)
    in_periodical = only_entry(publish(periodical, [adopt("只在期刊上的信息")]))
    retired = Publication.objects.create(
        department=county.dept, name="旧专栏", kind=Publication.Kind.WEB_COLUMN
    )
    in_retired = only_entry(publish(retired, [adopt("停用专栏的信息")]))
    Publication.objects.filter(pk=retired.pk).update(is_active=False)

    assert listed_headlines(anon) == ["公开的信息"]
    assert feed_titles(anon) == ["公开的信息"]
    for entry in (in_draft, in_periodical, in_retired):
        assert anon.get(entry_url(entry)).status_code == 404


def test_list_is_paginated_twenty_to_a_page(
    anon: Client, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    for batch in range(5):
        publish(column, [adopt(f"第{batch}期第{n}条信息") for n in range(5)])

    first = anon.get(LIST_URL)
    second = anon.get(LIST_URL, {"page": 2})

    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "第 1 / 2 页,共 25 条" in first.content.decode()
    assert "?page=2" in first.content.decode()
    headlines = [e.headline for e in first.context["page"]] + [
        e.headline for e in second.context["page"]
    ]
    assert len(set(headlines)) == 25
    # The newest issue comes first, each issue in its own order.
    assert headlines[:2] == ["第4期第0条信息", "第4期第1条信息"]


def test_entry_page_shows_the_published_text_and_nothing_of_the_workflow(
    anon: Client, county: County, column: Publication, publish: Publish
) -> None:
    item = make_item(officer=county.officer_a, title="甲镇原标题", body="原第一段。\n原第二段。")
    transition(item=item, actor=county.officer_a, action="submit")
    item = transition(
        item=item, actor=county.editor, action="adopt", comment="编辑内部意见:数据再核实"
    )
    issue = issue_create(publication=column, actor=county.editor)
    entry = issue_add_item(issue=issue, item=item, actor=county.editor)
    entry_update(
        entry=entry,
        actor=county.editor,
        headline="甲镇“三抓三促”激活基层治理",
        text="第一段正文。\n第二段正文。\n第三段正文。",
        editor_note="这个做法值得借鉴。",
        source_line="(甲镇党委供稿)",
    )
    issue = issue_publish(issue=issue, actor=county.editor)

    response = anon.get(entry_url(entry))

    assert response.status_code == 200
    html = response.content.decode()
    assert "甲镇“三抓三促”激活基层治理" in html
    assert "(甲镇党委供稿)" in html
    assert "这个做法值得借鉴。" in html
    assert html.count("<p>第") == 3
    assert "组工信息专栏" in html
    assert issue.number_label in html
    assert issue.issue_date is not None
    assert issue.issue_date.strftime("%Y-%m-%d") in html
    assert "测试县委组织部" in html  # the site header
    # Only the editor's copy goes out: not the officer's text, names or the workflow.
    for private in (
        "甲镇原标题",
        "原第一段",
        "编辑内部意见",
        county.officer_a.full_name,
        county.officer_a.username,
        county.editor.full_name,
        "已采用",
        "退出",
    ):
        assert private not in html, private


def test_public_pages_need_no_login_and_are_the_same_for_signed_in_users(
    anon: Client, county: County, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    entry = only_entry(publish(column, [adopt("公开的信息")]))
    editor = Client()
    editor.force_login(county.editor)

    for client in (anon, editor):
        for url in (LIST_URL, entry_url(entry), FEED_URL):
            assert client.get(url).status_code == 200, url
    assert anon.post(LIST_URL).status_code == 405


def test_atom_feed_lists_public_entries_with_links_and_dates(
    anon: Client, adopt: Adopt, column: Publication, periodical: Publication, publish: Publish
) -> None:
    issue = publish(column, [adopt("公开的第一条"), adopt("公开的第二条")])
    publish(periodical, [adopt("期刊上的信息")])

    root = feed(anon)

    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "组工信息专栏"
    assert root.findtext(f"{ATOM}updated")
    entries = list(root.iter(f"{ATOM}entry"))
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["公开的第一条", "公开的第二条"]
    for element, entry in zip(entries, issue.entries.order_by("position"), strict=True):
        link = element.find(f"{ATOM}link")
        assert link is not None
        assert link.get("href") == f"http://testserver{entry_url(entry)}"
        assert element.findtext(f"{ATOM}updated")
        assert "<p>" in (element.findtext(f"{ATOM}summary") or "")


def test_feed_carries_the_newest_thirty(
    anon: Client, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    publish(column, [adopt(f"旧信息{n}") for n in range(3)])
    publish(column, [adopt(f"新信息{n}") for n in range(30)])

    titles = feed_titles(anon)

    assert len(titles) == 30
    assert all(title.startswith("新信息") for title in titles)


def test_a_corrected_issue_shows_its_correction_and_old_links_follow_it(
    anon: Client, county: County, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    original = publish(column, [adopt("有错字的标题")])
    old_entry = only_entry(original)
    correction = issue_correct(issue=original, actor=county.editor, reason="标题有错字")
    entry_update(
        entry=only_entry(correction),
        actor=county.editor,
        headline="改正后的标题",
        text=old_entry.text,
        editor_note="",
        source_line=old_entry.source_line,
    )
    issue_publish(issue=correction, actor=county.editor)

    assert listed_headlines(anon) == ["改正后的标题"]
    assert feed_titles(anon) == ["改正后的标题"]
    response = anon.get(entry_url(old_entry))
    assert response.status_code == 301
    assert response["Location"] == entry_url(only_entry(correction))


def test_unknown_or_malformed_entry_is_404(anon: Client, column: Publication) -> None:
    assert anon.get(entry_url(999999)).status_code == 404
    assert anon.get("/column/abc/").status_code == 404
    assert anon.get(LIST_URL, {"page": "x"}).status_code == 200


# --- Internal items never appear ----------------------------------------------------------------


def test_internal_item_cannot_be_added_to_a_web_column_issue(
    county: County, adopt: Adopt, column: Publication
) -> None:
    internal = adopt("涉及人事安排的内部情况", is_internal=True)
    issue = issue_create(publication=column, actor=county.editor)

    with pytest.raises(InvalidInput) as refused:
        issue_add_item(issue=issue, item=internal, actor=county.editor)

    message = str(refused.value)
    assert CJK.search(message)
    assert "内部" in message
    assert "网站专栏" in message
    assert not issue.entries.exists()


def test_internal_item_carried_by_a_periodical_does_not_leak_into_the_column(
    anon: Client,
    adopt: Adopt,
    column: Publication,
    periodical: Publication,
    publish: Publish,
) -> None:
    internal = adopt("涉及人事安排的内部情况", is_internal=True)
    in_periodical = publish(periodical, [internal, adopt("期刊上的公开信息")]).entries.get(
        item=internal
    )
    publish(column, [adopt("专栏的公开信息")])

    assert listed_headlines(anon) == ["专栏的公开信息"]
    assert feed_titles(anon) == ["专栏的公开信息"]
    assert anon.get(entry_url(in_periodical)).status_code == 404
    assert "涉及人事安排" not in anon.get(LIST_URL).content.decode()
    assert "涉及人事安排" not in anon.get(FEED_URL).content.decode()


def test_item_marked_internal_after_publication_disappears_everywhere(
    anon: Client, county: County, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    item = adopt("后来发现不宜公开的信息")
    issue = publish(column, [item, adopt("一直公开的信息")])
    entry = issue.entries.get(item=item)
    assert anon.get(entry_url(entry)).status_code == 200

    Item.objects.filter(pk=item.pk).update(is_internal=True)

    editor = Client()
    editor.force_login(county.editor)
    for client in (anon, editor):  # whoever looks, signed in or not
        assert listed_headlines(client) == ["一直公开的信息"]
        assert feed_titles(client) == ["一直公开的信息"]
        assert client.get(entry_url(entry)).status_code == 404
        for url in (LIST_URL, FEED_URL):
            assert "不宜公开" not in client.get(url).content.decode()


def test_correction_carrying_an_item_marked_internal_does_not_show_it(
    anon: Client, county: County, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    """A correction copies the entries of the issue it corrects: the item marked internal in
    between rides along into the draft, which cannot be published until it is removed; the
    item must not show meanwhile or after, nor may the old link redirect to it."""
    item = adopt("后来发现不宜公开的信息")
    original = publish(column, [item, adopt("一直公开的信息")])
    old_entry = original.entries.get(item=item)
    Item.objects.filter(pk=item.pk).update(is_internal=True)
    assert listed_headlines(anon) == ["一直公开的信息"]
    correction = issue_correct(issue=original, actor=county.editor, reason="更正")
    with pytest.raises(InvalidInput, match="不宜公开"):
        issue_publish(issue=correction, actor=county.editor)
    issue_remove_entry(entry=correction.entries.get(item=item), actor=county.editor)
    issue_publish(issue=correction, actor=county.editor)

    assert listed_headlines(anon) == ["一直公开的信息"]
    assert feed_titles(anon) == ["一直公开的信息"]
    assert anon.get(entry_url(old_entry)).status_code == 404
    assert not correction.entries.filter(item=item).exists()


def test_internal_item_forced_into_a_column_issue_still_does_not_show(
    anon: Client, county: County, adopt: Adopt, column: Publication, publish: Publish
) -> None:
    """Defense in depth: even a row written around the services stays off the public pages."""
    issue = publish(column, [adopt("公开的信息")])
    internal = adopt("涉及人事安排的内部情况", is_internal=True)
    forced = IssueEntry.objects.create(
        issue=issue, item=internal, position=9, headline=internal.title, text=internal.body
    )

    assert listed_headlines(anon) == ["公开的信息"]
    assert feed_titles(anon) == ["公开的信息"]
    assert anon.get(entry_url(forced)).status_code == 404


# --- Cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 25])
def test_list_and_feed_queries_do_not_grow_with_entries(
    count: int,
    anon: Client,
    adopt: Adopt,
    column: Publication,
    publish: Publish,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for start in range(0, count, 5):
        publish(column, [adopt(f"信息{n}") for n in range(start, start + 5)])
    entry = IssueEntry.objects.first()
    assert entry is not None

    # The page of entries, the paginator's count, the site header.
    with django_assert_max_num_queries(3):
        assert anon.get(LIST_URL).status_code == 200
    with django_assert_max_num_queries(2):
        assert anon.get(entry_url(entry)).status_code == 200
    with django_assert_max_num_queries(2):
        assert anon.get(FEED_URL).status_code == 200
