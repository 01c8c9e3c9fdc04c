"""上情下达 in a real browser: the editor publishes a study material with an attachment to the
townships; town01 sees the unread count in the header, opens it from the notices list; the
editor's receipt board shows one read and the two townships' officers who have not read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory
from tests.browser.test_journey import horizontal_overflow, log_in, screenshot
from tests.factories import make_unit, make_user, png_bytes
from xinbao.notify.models import Notice, NoticeReceipt
from xinbao.orgs.models import Role, Unit, User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "学习贯彻全市组织工作会议精神"


@dataclass
class County:
    towns: list[Unit]
    officer: User


@pytest.fixture
def county(settings: pytest.FixtureRequest, tmp_path: Path) -> County:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    dept = make_unit(name="云溪县委组织部", kind=Unit.Kind.ORG_DEPT)
    towns = [make_unit(name=name, parent=dept) for name in ("城关镇", "青山镇", "白水乡")]
    for n, town in enumerate(towns[1:], start=2):
        make_user(role=Role.OFFICER, unit=town, username=f"town0{n}", full_name=f"干部{n}")
    make_user(role=Role.EDITOR, unit=dept, username="editor", full_name="李明")
    officer = make_user(role=Role.OFFICER, unit=towns[0], username="town01", full_name="王晓红")
    return County(towns=towns, officer=officer)


def test_editor_publishes_and_the_receipt_board_follows_the_reading(
    new_page: PageFactory, county: County, tmp_path: Path
) -> None:
    editor, officer = new_page(), new_page()
    picture = tmp_path / "会场.png"
    picture.write_bytes(png_bytes())

    log_in(editor, "editor")
    editor.get_by_role("navigation").get_by_role("link", name="通知").click()
    editor.get_by_role("link", name="发布通知或学习资料").click()
    editor.get_by_label("类别").select_option(label="上级会议精神")
    editor.get_by_label("标题").fill(TITLE)
    editor.get_by_label("正文").fill("请各乡镇组织信息员认真学习。")
    editor.get_by_label("附件").set_input_files(str(picture))
    editor.get_by_label("全部乡镇").check()
    editor.get_by_role("button", name="发布").click()
    editor.wait_for_url("**/notices/*/receipts/")
    notice = Notice.objects.get(title=TITLE)
    assert notice.receipts.count() == 3 and notice.attachments.count() == 1
    expect(editor.locator("#receipt-summary")).to_contain_text("已读 0 人")

    log_in(officer, "town01")
    expect(officer.locator("#inbox-link .unread-count")).to_have_text("1")
    officer.get_by_role("navigation").get_by_role("link", name="通知").click()
    row = officer.locator("#notice-list tbody tr", has_text=TITLE)
    expect(row).to_contain_text("未读")
    row.get_by_role("link", name=TITLE).click()
    expect(officer.locator("#notice-body")).to_contain_text("认真学习")
    expect(officer.locator("#notice-attachments")).to_contain_text("会场.png")
    expect(officer.locator("#inbox-link .unread-count")).to_have_count(0)  # its message too
    assert NoticeReceipt.objects.get(notice=notice, user=county.officer).read_at is not None

    editor.reload()
    expect(editor.locator("#receipt-summary")).to_contain_text("共 3 人,已读 1 人,未读 2 人")
    expect(editor.locator("#unread-list")).to_contain_text("干部2")
    expect(editor.locator("#unread-list")).to_contain_text("干部3")
    expect(editor.locator("#read-list")).to_contain_text("王晓红")
    assert horizontal_overflow(editor) <= 0
    screenshot(editor, "notice_receipts.png")
