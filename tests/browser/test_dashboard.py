"""The department leader's dashboard in a real browser: the charts draw (canvas), with Chinese
labels, from the JSON data island, and a table view opens; the screenshot is kept as
test-artifacts/dashboard_leader.png."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory
from tests.browser.test_journey import log_in, screenshot
from tests.dashboard.conftest import at, reported
from tests.factories import make_unit, make_user
from xinbao.orgs.models import Role, Unit
from xinbao.publishing.models import ExternalAdoption, Instruction
from xinbao.scoring.ledger import retally
from xinbao.scoring.models import FactType, ScoreEntry
from xinbao.topics.models import KeyWorkArea, KeyWorkTag

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TOWNS = ("城关镇", "青山镇", "白水乡", "石门镇", "县教育局")
CATEGORIES = ("动态", "经验做法", "问题建议", "调研报告")


@pytest.fixture
def county() -> Unit:
    cache.clear()
    city = make_unit(name="澜江市委组织部", kind=Unit.Kind.ORG_DEPT, level=Unit.Level.CITY)
    dept = make_unit(name="云溪县委组织部", kind=Unit.Kind.ORG_DEPT, parent=city)
    editor = make_user(role=Role.EDITOR, unit=dept, username="editor", full_name="李明")
    make_user(role=Role.DEPT_LEADER, unit=dept, username="leader", full_name="张部长")
    areas = [
        KeyWorkArea.objects.create(department=dept, year=2026, name=name)
        for name in ("基层组织建设", "干部队伍建设", "人才工作")
    ]
    for n, name in enumerate(TOWNS):
        kind = Unit.Kind.DEPARTMENT if name.endswith("局") else Unit.Kind.TOWNSHIP
        town = make_unit(name=name, parent=dept, kind=kind)
        officer = make_user(role=Role.OFFICER, unit=town, username=f"town0{n + 1}")
        if name == "白水乡":
            continue  # the silent unit
        for month in range(1, 12):
            for k in range((n + month) % 4):
                item = reported(
                    officer,
                    editor,
                    submitted=at(month, 3 + 5 * k),
                    adopted=at(month, 5 + 5 * k) if (k + month) % 2 else None,
                    category_name=CATEGORIES[(k + n) % 4],
                    event_date=datetime.date(2026, month, 2 + 5 * k),
                )
                if item.state == "adopted":
                    ScoreEntry.objects.create(
                        department=dept,
                        year=2026,
                        unit=town,
                        item=item,
                        fact_type=FactType.ADOPTION,
                        fact_id=f"entry:{item.pk}",
                        fact_date=datetime.date(2026, month, 6),
                        level="county",
                        points=Decimal(2 + n),
                        reason="《组工信息》采用",
                        rule="adoption.periodical.county",
                        computed_at=timezone.now(),
                    )
                if k < len(areas) and month > 6:
                    KeyWorkTag.objects.create(area=areas[k], item=item, tagged_by=officer)
                if month == 10 and k == 1:
                    ExternalAdoption.objects.create(
                        item=item,
                        level="city",
                        outlet="澜江组工",
                        adopted_on=datetime.date(2026, 10, 20),
                        recorded_by=editor,
                    )
                    ScoreEntry.objects.create(
                        department=dept,
                        year=2026,
                        unit=town,
                        item=item,
                        fact_type=FactType.ADOPTION,
                        fact_id=f"external:{item.pk}",
                        fact_date=datetime.date(2026, 10, 20),
                        level="city",
                        points=Decimal(5),
                        reason="市级采用",
                        rule="adoption.periodical.city",
                        computed_at=timezone.now(),
                        counts_adopted=True,
                        counts_high=True,
                    )
                    Instruction.objects.create(
                        item=item,
                        level="county",
                        leader_title="县委书记",
                        instructed_on=datetime.date(2026, 10, 21),
                        text="很好。",
                        recorded_by=editor,
                    )
    retally(dept, 2026)  # the rankings read the ledger's monthly tallies, as the ledger writes
    return dept


def test_leader_sees_the_dashboard_charts(new_page: PageFactory, county: Unit) -> None:
    page = new_page({"width": 1400, "height": 900})
    log_in(page, "leader")
    page.get_by_role("link", name="统计分析").click()
    page.goto("/dashboard/?period=year&year=2026")
    expect(page.locator("h1")).to_contain_text("云溪县委组织部")
    charts = page.locator("[data-figure]")
    expect(charts.first).to_have_attribute("data-rendered", "true")
    count = charts.count()
    assert count >= 8
    for i in range(count):
        expect(charts.nth(i)).to_have_attribute("data-rendered", "true")
        expect(charts.nth(i).locator("canvas")).to_have_count(1)
    heat = page.locator("#fig-heatmap").locator("xpath=..")
    heat.get_by_text("数据表").click()
    expect(heat.locator("tbody tr").first.locator("th")).to_have_text("白水乡")
    heat.get_by_text("数据表").click()
    for key in ("rank_points", "rank_high"):
        expect(page.locator(f'[data-figure="{key}"]')).to_have_attribute("data-rendered", "true")
    screenshot(page, "dashboard_leader.png")


def test_officer_sees_their_units_dashboard(new_page: PageFactory, county: Unit) -> None:
    page = new_page()
    log_in(page, "town01")
    page.get_by_role("link", name="统计分析").click()
    page.goto(page.url + "?period=year&year=2026")
    expect(page.locator("h1")).to_contain_text("城关镇")
    charts = page.locator("[data-figure]")
    expect(charts.first).to_have_attribute("data-rendered", "true")
    assert charts.count() >= 5
    for i in range(charts.count()):
        expect(charts.nth(i).locator("canvas")).to_have_count(1)
    for key in ("u_heatmap", "u_key_work", "u_rank"):
        expect(page.locator(f'[data-figure="{key}"]')).to_have_attribute("data-rendered", "true")
    screenshot(page, "dashboard_unit.png")
