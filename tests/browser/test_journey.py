"""The officer–editor journey in a real browser: write, submit, return with a comment, revise,
resubmit, adopt. Every step is checked twice: in the database and on the page the person sees.
Full-page screenshots of the steps land in ``test-artifacts/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import PageFactory
from tests.factories import PASSWORD, category, make_item, make_unit, make_user
from xinbao.items.models import Item, State
from xinbao.items.services import transition
from xinbao.orgs.models import Role, Unit, User

pytestmark = [
    pytest.mark.browser,
    # The live server commits for real; serialized rollback brings back the rows the migrations
    # load (the item categories) after each test's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE: ViewportSize = {"width": 390, "height": 844}

TITLE = "城关镇推行“党员积分超市”激发农村党员干事热情"
BODY = (
    "今年以来,城关镇在全镇28个村推行“党员积分超市”,把党员参加组织生活、志愿服务、"
    "带头致富等情况量化为积分,凭积分兑换生活用品,激发了农村党员干事创业热情。\n"
    "一是细化积分标准。围绕政治学习、组织生活、服务群众三个方面,列出12项加分事项。\n"
    "二是公开评定结果。积分每月由村党组织评定,在党务公开栏公示,接受群众监督。\n"
    "三是强化结果运用。年度积分作为评选优秀党员、推荐村级后备力量的重要依据。"
)
COMMENT = "请补充具体数据:参与党员人数、兑换次数,以及群众反映。第三段请写实。"
REVISED_LAST = (
    "三是强化结果运用。截至6月底,全镇已有1260名党员参与积分,兑换4300余次;"
    "年度积分作为评选优秀党员、推荐村级后备力量的重要依据,群众满意度明显提升。"
)


@dataclass
class People:
    town: Unit
    officer: User
    editor: User


@pytest.fixture
def people() -> People:
    dept = make_unit(name="某县委组织部", kind=Unit.Kind.ORG_DEPT)
    town = make_unit(name="城关镇", parent=dept, requires_signoff=False)
    return People(
        town=town,
        officer=make_user(role=Role.OFFICER, unit=town, username="town01", full_name="王晓红"),
        editor=make_user(role=Role.EDITOR, unit=dept, username="editor", full_name="李明"),
    )


def log_in(page: Page, username: str) -> None:
    """Signs in through the real login page and waits for the role's home page."""
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/login/" not in url)


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: nothing scrolls sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def state_of(item: Item) -> str:
    item.refresh_from_db()
    return item.state


def test_officer_and_editor_take_an_item_from_draft_to_adoption(
    new_page: PageFactory, people: People
) -> None:
    officer = new_page()
    editor = new_page()

    # The officer writes the item and submits it in one step.
    log_in(officer, "town01")
    expect(officer.locator("h1")).to_have_text("我的信息")
    officer.get_by_role("navigation").get_by_role("link", name="写信息").click()
    officer.get_by_label("标题").fill(TITLE)
    officer.get_by_label("正文").fill(BODY)
    officer.get_by_label("类别").select_option(label="经验做法")
    screenshot(officer, "item_form.png")
    officer.get_by_role("button", name="保存并报送").click()

    officer.wait_for_url("**/items/")
    item = Item.objects.get(title=TITLE)
    assert state_of(item) == State.SUBMITTED
    assert item.body == BODY
    assert item.category.name == "经验做法"
    expect(officer.locator(".messages")).to_contain_text("已报送")
    row = officer.locator("#item-list tbody tr", has_text=TITLE)
    expect(row.locator(".badge")).to_have_text("已报送")

    # The editor finds it in the inbox and returns it with a comment.
    log_in(editor, "editor")
    expect(editor.locator("h1")).to_have_text("收件箱")
    row = editor.locator("#inbox-list tbody tr", has_text=TITLE)
    expect(row).to_contain_text("城关镇")
    expect(row.locator(".badge")).to_have_text("已报送")
    screenshot(editor, "editor_inbox.png")
    row.get_by_role("link", name=TITLE).click()
    expect(editor.locator("h1")).to_have_text("审核信息")
    expect(editor.get_by_label("正文")).to_have_value(BODY)
    editor.get_by_label("审核意见").fill(COMMENT)
    screenshot(editor, "review.png")
    editor.get_by_role("button", name="退回修改").click()

    editor.wait_for_url("**/inbox/")
    assert state_of(item) == State.RETURNED
    expect(editor.locator(".messages")).to_contain_text("退回修改")

    # The officer sees the comment in the list and on the edit page, revises and resubmits.
    officer.goto("/items/")
    row = officer.locator("#item-list tbody tr", has_text=TITLE)
    expect(row.locator(".badge")).to_have_text("退回修改")
    expect(row.locator(".comment")).to_contain_text(COMMENT)
    expect(row.locator(".comment")).to_contain_text("李明")
    screenshot(officer, "officer_list.png")
    row.get_by_role("link", name=TITLE).click()  # a returned item opens straight in the editor
    expect(officer.locator("h1")).to_have_text("修改信息")
    expect(officer.locator("#return-comment")).to_contain_text(COMMENT)
    revised = BODY.rsplit("\n", 1)[0] + "\n" + REVISED_LAST
    officer.get_by_label("正文").fill(revised)
    screenshot(officer, "returned_comment.png")
    officer.get_by_role("button", name="保存并修改后重报").click()

    officer.wait_for_url("**/items/")
    assert state_of(item) == State.RESUBMITTED
    assert item.body == revised
    row = officer.locator("#item-list tbody tr", has_text=TITLE)
    expect(row.locator(".badge")).to_have_text("修改后重报")
    expect(row.locator(".comment")).to_have_count(0)

    # The editor sees the resubmission with what changed, and adopts it.
    editor.goto("/inbox/")
    row = editor.locator("#inbox-list tbody tr", has_text=TITLE)
    expect(row.locator(".badge")).to_have_text("修改后重报")
    row.get_by_role("link", name=TITLE).click()
    expect(editor.get_by_label("正文")).to_have_value(revised)
    expect(editor.locator(".diff ins").first).to_be_visible()
    screenshot(editor, "review_resubmitted.png")
    editor.get_by_role("button", name="采用", exact=True).click()

    editor.wait_for_url("**/inbox/")
    assert state_of(item) == State.ADOPTED
    expect(editor.locator(".messages")).to_contain_text("已采用")
    expect(editor.locator("#inbox-list")).not_to_contain_text(TITLE)
    editor.goto(f"/items/{item.pk}/")
    expect(editor.locator(".toolbar .badge").first).to_have_text("已采用")

    officer.goto("/items/")
    row = officer.locator("#item-list tbody tr", has_text=TITLE)
    expect(row.locator(".badge")).to_have_text("已采用")
    screenshot(officer, "officer_list_adopted.png")


def test_officer_pages_fit_a_phone_screen(new_page: PageFactory, people: People) -> None:
    returned = make_item(officer=people.officer, title=TITLE, body=BODY)
    transition(item=returned, actor=people.officer, action="submit")
    transition(item=returned, actor=people.editor, action="return", comment=COMMENT)
    adopted = make_item(
        officer=people.officer, title="关于加强村级后备干部队伍建设的几点建议", category=category()
    )
    transition(item=adopted, actor=people.officer, action="submit")
    transition(item=adopted, actor=people.editor, action="adopt")
    make_item(officer=people.officer, title="草稿:城关镇召开基层党建工作推进会")

    phone = new_page(viewport=PHONE)
    log_in(phone, "town01")
    expect(phone.locator("#item-list tbody tr")).to_have_count(3)
    expect(phone.locator("#item-list .comment")).to_contain_text(COMMENT)
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "officer_list_phone.png")

    phone.goto("/items/new/")
    expect(phone.get_by_label("正文")).to_be_visible()
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "item_form_phone.png")

    phone.goto(f"/items/{returned.pk}/edit/")
    expect(phone.locator("#return-comment")).to_contain_text(COMMENT)
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "returned_comment_phone.png")


def test_typed_text_survives_a_failed_save(page: Page, people: People) -> None:
    log_in(page, "town01")
    page.goto("/items/new/")
    # Spaces satisfy the browser's "required" check; the server strips them and refuses the form.
    page.get_by_label("标题").fill("   ")
    page.get_by_label("正文").fill(BODY)
    page.get_by_role("button", name="保存并报送").click()

    expect(page.locator(".field-title .errorlist")).to_be_visible()
    expect(page.get_by_label("正文")).to_have_value(BODY)
    assert not Item.objects.exists()
    screenshot(page, "item_form_error.png")

    page.get_by_label("标题").fill(TITLE)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("草稿已保存")
    item = Item.objects.get()
    assert (item.title, item.body, item.state) == (TITLE, BODY, State.DRAFT)
