"""The officer team in a real browser: the editor opens the department roster (units lacking a
backup stand out) and an officer's portfolio with points, training and the editor's changes;
another unit's officer reads the
exemplary item; the officer sees colleagues' phones masked. Screenshots: roster.png,
portfolio.png, training.png, exemplary.png."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory
from tests.browser.test_journey import log_in, screenshot
from tests.factories import make_item, make_unit, make_user
from tests.orgs.conftest import score
from xinbao.items.services import ItemData, item_update, transition
from xinbao.orgs import services
from xinbao.orgs.models import Role, Unit, User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DAY = datetime.date(2026, 3, 2)


def test_editor_sees_roster_and_portfolio_officer_sees_masked_phones(
    new_page: PageFactory,
) -> None:
    dept = make_unit(name="云溪县委组织部", kind=Unit.Kind.ORG_DEPT)
    editor = make_user(role=Role.EDITOR, unit=dept, username="editor", full_name="李明")
    towns = [make_unit(name=n, parent=dept) for n in ("城关镇", "青山镇", "白水乡")]
    bureau = make_unit(name="县教育局", kind=Unit.Kind.DEPARTMENT, parent=dept)
    officer = make_user(role=Role.OFFICER, unit=towns[0], username="town01", full_name="王晓红")
    backup = make_user(role=Role.OFFICER, unit=towns[0], username="town01_b", full_name="赵敏")
    make_user(role=Role.OFFICER, unit=towns[1], username="town02", full_name="陈刚")
    for n, (person, post) in enumerate(((officer, "党政办干事"), (backup, "组织干事")), start=1):
        services.officer_appoint(
            actor=editor,
            officer=person,
            unit=towns[0],
            rank=User.OfficerRank.PRIMARY if n == 1 else User.OfficerRank.BACKUP,
            post=post,
            appointed_on=DAY,
            phone=f"1381234123{n}",
        )
    item = make_item(
        officer=officer,
        title="城关镇推行“院落党建”破解老旧小区治理难题",
        body="城关镇在12个老旧小区成立院落党小组。\n一是建组织。二是聚合力。",
    )
    transition(item=item, actor=officer, action="submit")
    item.refresh_from_db()
    item = item_update(
        item=item,
        actor=editor,
        data=ItemData(
            title="城关镇“院落党建”破解老旧小区治理难题",
            body="城关镇在全镇12个老旧小区成立院落党小组186个。\n一是建强组织。二是凝聚合力。",
            category=item.category,
        ),
        version=item.version,
    )
    item = transition(item=item, actor=editor, action="adopt")
    score(item, 12, year=2026, level="city")
    session = services.training_create(
        actor=editor, held_on=DAY, topic="全县组工信息业务培训班", trainer="张华"
    )
    services.attendance_record(
        actor=editor, session=session, marks={officer.pk: "present", backup.pk: "excused"}
    )
    services.exemplary_choose(
        actor=editor, item=item, commentary="抓住老旧小区治理的难点,做法具体,数字实在。"
    )
    assert bureau.pk

    page = new_page()
    log_in(page, "editor")
    page.goto("/roster/")
    expect(page.locator("#lacking")).to_contain_text("青山镇")
    expect(page.locator("#lacking")).to_contain_text("县教育局")
    expect(page.locator("#roster")).to_contain_text("13812341231")
    screenshot(page, "roster.png")

    page.goto(f"/officers/{officer.pk}/")
    expect(page.locator("#figures")).to_contain_text("12")
    expect(page.locator("#training-record")).to_contain_text("全县组工信息业务培训班")
    expect(page.locator("ins").first).to_be_visible()
    screenshot(page, "portfolio.png")

    page.goto(f"/trainings/{session.pk}/")
    expect(page.locator("#attendance-form")).to_contain_text("王晓红")
    screenshot(page, "training.png")

    colleague = new_page()
    log_in(colleague, "town02")
    colleague.goto("/exemplary/")
    expect(colleague.locator("#exemplary")).to_contain_text("院落党建")
    colleague.get_by_role("link", name="城关镇“院落党建”破解老旧小区治理难题").click()
    expect(colleague.locator(".commentary")).to_contain_text("数字实在")
    screenshot(colleague, "exemplary.png")

    colleague = new_page()
    log_in(colleague, "town01_b")
    colleague.goto("/roster/mine/")
    expect(colleague.locator("#unit-officers")).to_contain_text("138****1231")
    expect(colleague.locator("#unit-officers")).not_to_contain_text("13812341231")
