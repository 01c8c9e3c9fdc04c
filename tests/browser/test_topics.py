"""A topic (约稿) in a real browser: the editor issues it to the county's three townships,
town01 opens it and answers with an item, and the board shows one answered and two unread."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory
from tests.browser.test_journey import PHONE, horizontal_overflow, log_in, screenshot
from tests.factories import make_unit, make_user
from xinbao.items.models import Item, State
from xinbao.orgs.models import Role, Unit, User
from xinbao.topics.models import Topic, TopicTarget

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TOPIC = "村级组织换届后新班子运行情况"
WANTED = "请反映换届后村“两委”新班子履职的好做法,以及遇到的新情况、新问题。"
ANSWER = "城关镇建立新任村干部“导师帮带”制度"
BODY = (
    "换届后,城关镇为28名新任村干部每人配备一名镇班子成员作导师,帮带期一年。\n"
    "一是明确帮带内容。围绕政策把握、矛盾调处、项目推进三个方面,制定帮带清单。\n"
    "二是严格考核。帮带成效纳入导师年度考核,新任村干部每季度向镇党委述职。"
)


@dataclass
class County:
    dept: Unit
    towns: list[Unit]
    officer: User
    editor: User


@pytest.fixture
def county() -> County:
    dept = make_unit(name="云溪县委组织部", kind=Unit.Kind.ORG_DEPT)
    towns = [make_unit(name=name, parent=dept) for name in ("城关镇", "青山镇", "白水乡")]
    make_unit(name="县教育局", kind=Unit.Kind.DEPARTMENT, parent=dept)  # not a township
    for n, town in enumerate(towns[1:], start=2):
        make_user(role=Role.OFFICER, unit=town, username=f"town0{n}")
    return County(
        dept=dept,
        towns=towns,
        officer=make_user(role=Role.OFFICER, unit=towns[0], username="town01", full_name="王晓红"),
        editor=make_user(role=Role.EDITOR, unit=dept, username="editor", full_name="李明"),
    )


def test_editor_issues_a_topic_and_the_board_follows_the_answer(
    new_page: PageFactory, county: County
) -> None:
    editor = new_page()
    officer = new_page()

    # The editor issues the topic to all townships.
    log_in(editor, "editor")
    editor.get_by_role("navigation").get_by_role("link", name="约稿").click()
    editor.get_by_role("link", name="发出约稿").click()
    editor.get_by_label("题目").fill(TOPIC)
    editor.get_by_label("约稿内容").fill(WANTED)
    editor.get_by_label("写作要求").fill("800 字以内,须有具体数据和事例。")
    deadline = timezone.localtime() + datetime.timedelta(days=3, hours=2)
    editor.get_by_label("截止时间").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    editor.get_by_label("全部乡镇").check()
    expect(editor.locator(".field-units")).to_be_hidden()  # only for a hand-picked list
    editor.get_by_role("button", name="发出约稿").click()

    editor.wait_for_url("**/topics/*/")
    topic = Topic.objects.get(title=TOPIC)
    assert {t.unit.name for t in topic.targets.all()} == {"城关镇", "青山镇", "白水乡"}
    expect(editor.locator(".messages")).to_contain_text("共 3 个单位")
    expect(editor.locator("#board tbody tr")).to_have_count(3)
    expect(editor.locator("#countdown")).to_contain_text("剩 3 天 2 小时")

    # town01 finds it unread, opens it and answers with an item.
    log_in(officer, "town01")
    officer.get_by_role("navigation").get_by_role("link", name="约稿").click()
    row = officer.locator("#topic-list tbody tr", has_text=TOPIC)
    expect(row.locator(".badge")).to_have_text("未读")
    row.get_by_role("link", name=TOPIC).click()
    expect(officer.locator(".topic-head")).to_contain_text(WANTED)
    assert TopicTarget.objects.get(topic=topic, unit=county.towns[0]).read_at is not None
    officer.get_by_role("link", name="回复约稿").click()
    expect(officer.get_by_label("回复约稿")).to_have_value(str(topic.pk))
    officer.get_by_label("标题").fill(ANSWER)
    officer.get_by_label("正文").fill(BODY)
    officer.get_by_role("button", name="保存并报送").click()

    officer.wait_for_url("**/items/")
    item = Item.objects.get(title=ANSWER)
    assert (item.topic_id, item.state) == (topic.pk, State.SUBMITTED)
    target = TopicTarget.objects.get(topic=topic, unit=county.towns[0])
    assert target.outcome == TopicTarget.Outcome.ANSWERED_ON_TIME

    # The board: one answered, two unread.
    editor.reload()
    rows = editor.locator("#board tbody tr")
    expect(rows.filter(has_text="城关镇").locator(".badge").first).to_have_text("已回复")
    expect(rows.filter(has_text="城关镇")).to_contain_text(ANSWER)
    for town in ("青山镇", "白水乡"):
        expect(rows.filter(has_text=town).locator(".badge")).to_have_text("未读")
    summary = editor.locator("#board-summary")
    expect(summary.locator("li.board-answered strong")).to_have_text("1")
    expect(summary.locator("li.board-unread strong")).to_have_text("2")
    assert horizontal_overflow(editor) <= 0
    screenshot(editor, "topic_board.png")

    # The same board fits a phone.
    phone = new_page(viewport=PHONE)
    log_in(phone, "editor")
    phone.goto(f"/topics/{topic.pk}/")
    expect(phone.locator("#board")).to_contain_text("已回复")
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "topic_board_phone.png")
