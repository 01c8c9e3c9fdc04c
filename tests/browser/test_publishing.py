"""The editor compiles an issue in a real browser, publishes it and downloads the Word file; the
public web column shows the public items and never the internal one."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from docx import Document
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageFactory
from tests.browser.test_journey import log_in, screenshot
from tests.factories import make_item, make_unit, make_user
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.orgs.models import Role, Unit, User
from xinbao.publishing.models import Publication, PublicationIssue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLES = [
    "城关镇推行“党员积分超市”激发农村党员干事热情",
    "东溪乡“住村联心”架起干群连心桥",
    "石门镇探索村级组织换届“五步工作法”",
]
INTERNAL_TITLE = "关于个别村干部违纪线索的情况反映"


@dataclass
class Desk:
    editor: User
    items: list[Item]
    internal: Item
    periodical: Publication
    column: Publication


@pytest.fixture
def desk() -> Desk:
    dept = make_unit(name="云溪县委组织部", kind=Unit.Kind.ORG_DEPT)
    town = make_unit(name="城关镇", parent=dept)
    officer = make_user(role=Role.OFFICER, unit=town, username="town01")
    editor = make_user(role=Role.EDITOR, unit=dept, username="editor", full_name="李明")

    def adopted(title: str, **fields: object) -> Item:
        item = make_item(officer=officer, title=title, **fields)  # type: ignore[arg-type]
        transition(item=item, actor=officer, action="submit")
        return transition(item=item, actor=editor, action="adopt")

    return Desk(
        editor=editor,
        items=[adopted(title) for title in TITLES],
        internal=adopted(INTERNAL_TITLE, is_internal=True),
        periodical=Publication.objects.create(
            department=dept,
            name="组工信息",
            kind=Publication.Kind.PERIODICAL,
            last_year=2026,
            last_number=11,
            last_total_number=344,
            distribution="报送:市委组织部。",
        ),
        column=Publication.objects.create(
            department=dept, name="组工信息专栏", kind=Publication.Kind.WEB_COLUMN
        ),
    )


def compile_issue(page: Page, publication: Publication, titles: list[str]) -> None:
    page.goto("/publications/")
    card = page.locator(".card", has=page.get_by_role("link", name=f"《{publication.name}》"))
    card.get_by_role("button", name="编新一期").click()
    for title in titles:
        page.locator(".candidates li", has_text=title).get_by_role("button", name="编入").click()
        expect(page.locator(".messages")).to_contain_text("已编入本期")


def test_editor_compiles_publishes_and_downloads_an_issue(
    new_page: PageFactory, desk: Desk
) -> None:
    page = new_page()
    log_in(page, "editor")
    compile_issue(page, desk.periodical, TITLES)
    expect(page.locator(".entry")).to_have_count(3)
    # The internal item may go into the internal periodical: it is offered there.
    expect(page.locator(".candidates li", has_text=INTERNAL_TITLE)).to_have_count(1)
    page.get_by_label("签发").fill("王部长")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已保存本期信息")
    screenshot(page, "issue_compiling.png")
    page.get_by_role("button", name="发布本期").click()
    expect(page.locator(".messages")).to_contain_text("总第345期")
    expect(page.locator("h1")).to_contain_text("第12期")
    issue = PublicationIssue.objects.get(publication=desk.periodical)
    assert (issue.state, issue.number, issue.total_number) == ("published", 12, 345)
    assert list(issue.entries.values_list("item__title", flat=True)) == TITLES
    screenshot(page, "issue_published.png")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Word").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx")
    document = Document(io.BytesIO(download.path().read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "组工信息" in text
    assert "2026年第12期" in text and "总第345期" in text
    for title in TITLES:
        assert title.replace("“", "").replace("”", "")[:6] in text.replace("“", "").replace("”", "")


def test_web_column_shows_public_items_and_never_the_internal_one(
    new_page: PageFactory, desk: Desk
) -> None:
    page = new_page()
    log_in(page, "editor")
    compile_issue(page, desk.column, TITLES[:2])
    # The internal item is not even offered for the web column.
    expect(page.locator(".candidates li", has_text=INTERNAL_TITLE)).to_have_count(0)
    page.get_by_role("button", name="发布本期").click()
    expect(page.locator(".messages")).to_contain_text("已发布")

    visitor = new_page()  # not logged in
    visitor.goto("/column/")
    for title in TITLES[:2]:
        expect(visitor.get_by_role("link", name=title)).to_be_visible()
    expect(visitor.get_by_text(INTERNAL_TITLE)).to_have_count(0)
    expect(visitor.get_by_text(TITLES[2])).to_have_count(0)
    screenshot(visitor, "web_column.png")
    visitor.get_by_role("link", name=TITLES[0]).click()
    expect(visitor.locator("h1, h2").first).to_contain_text("党员积分超市")
    feed = visitor.request.get("/column/feed.atom")
    assert feed.ok
    assert INTERNAL_TITLE not in feed.text()
