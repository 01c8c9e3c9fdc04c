"""Key work (工作要点): the seeded tree, tagging, and the coverage counts with blind spots."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_item
from tests.topics.conftest import Clock
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.topics.models import KeyWorkArea
from xinbao.topics.queries import coverage, key_work_tree, month_starts
from xinbao.topics.services import item_key_work_set

pytestmark = pytest.mark.django_db


def test_seed_command_builds_the_speechs_tree_once(county: County) -> None:
    out = StringIO()
    call_command("seed_key_work", department=county.dept.code, year=2026, stdout=out)
    assert "新建 14 项" in out.getvalue()
    call_command("seed_key_work", department=county.dept.code, year=2026, stdout=out)
    assert "新建 0 项,已有 14 项" in out.getvalue()
    tree = key_work_tree(county.dept, 2026)
    roots = [area.name for area, depth in tree if depth == 0]
    assert roots == ["一个统领", "五大目标", "六项工作"]
    by_root = {root.name: root.children.count() for root in KeyWorkArea.objects.filter(parent=None)}
    assert by_root == {"一个统领": 0, "五大目标": 5, "六项工作": 6}
    assert tree[2] == (KeyWorkArea.objects.get(name="干部教育培训要有新进展"), 1)


def test_seed_command_wants_an_organization_department(county: County) -> None:
    with pytest.raises(CommandError, match="组织部门"):
        call_command("seed_key_work", department=county.town_a.code, year=2026)


def months_ago(today: datetime.date, n: int) -> datetime.datetime:
    """Noon on the 15th, ``n`` months before ``today``'s month, in local time."""
    start = month_starts(today, n + 1)[0]
    return timezone.make_aware(datetime.datetime.combine(start.replace(day=15), datetime.time(12)))


def test_coverage_counts_distinct_items_per_area_and_month_rolled_up(
    county: County, clock: Clock
) -> None:
    clock.set(timezone.make_aware(datetime.datetime(2026, 6, 20, 10, 0)))
    today = timezone.localdate()
    year = 2026
    call_command("seed_key_work", department=county.dept.code, year=year, stdout=StringIO())
    goals = KeyWorkArea.objects.get(name="五大目标")
    training, grassroots = goals.children.order_by("sort_order")[:2]
    tasks = KeyWorkArea.objects.get(name="六项工作")
    first_task = tasks.children.order_by("sort_order").first()

    def sent(at: datetime.datetime, *areas: KeyWorkArea, adopt: bool = False) -> Item:
        clock.set(at)
        item = make_item(officer=county.officer_a)
        item = transition(item=item, actor=county.officer_a, action="submit")
        if adopt:
            item = transition(item=item, actor=county.editor, action="adopt")
        item_key_work_set(item=item, actor=county.editor, areas=list(areas))
        return item

    sent(months_ago(today, 0), training, grassroots, adopt=True)  # both children, one item
    sent(months_ago(today, 0), training)
    sent(months_ago(today, 3), grassroots)
    sent(months_ago(today, 3), first_task, adopt=True)
    sent(months_ago(today, 13), training)  # outside the 12-month window
    draft = make_item(officer=county.officer_a)  # never sent: not counted
    item_key_work_set(item=draft, actor=county.officer_a, areas=[tasks])

    result = coverage(county.dept, year, today)
    assert len(result.months) == 12 and result.months[-1] == today.replace(day=1)
    rows = {row.area.name: row for row in result.rows}
    this, three_ago = 11, 8
    assert rows[training.name].reported[this] == 2
    assert rows[training.name].adopted[this] == 1
    assert rows[grassroots.name].reported[this] == 1
    assert rows[grassroots.name].reported[three_ago] == 1
    # The parent counts each item once, though it is tagged with two of its children.
    assert rows["五大目标"].reported[this] == 2
    assert rows["五大目标"].total_reported == 3
    assert rows["六项工作"].reported[three_ago] == 1
    assert rows["六项工作"].adopted[three_ago] == 1
    # Blind spots: nothing in the last two months.
    blind = {name for name, row in rows.items() if row.blind}
    assert "五大目标" not in blind and training.name not in blind
    assert {"六项工作", first_task.name, "一个统领"} <= blind  # type: ignore[union-attr]


def test_coverage_page_marks_blind_spots(county: County) -> None:
    from django.test import Client

    year = timezone.localdate().year
    call_command("seed_key_work", department=county.dept.code, year=year, stdout=StringIO())
    area = KeyWorkArea.objects.get(name="基层组织建设要有新提高")
    item = transition(
        item=make_item(officer=county.officer_a), actor=county.officer_a, action="submit"
    )
    item_key_work_set(item=item, actor=county.officer_a, areas=[area])
    client = Client()
    client.force_login(county.editor)
    page = client.get(f"/key-work/coverage/?year={year}").content.decode()
    row = page[page.index(f'data-area="{area.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "盲区" not in row and ">1<" in row
    blind_row = page[page.index(f'data-area="{KeyWorkArea.objects.get(name="一个统领").pk}"') :]
    assert "盲区" in blind_row[: blind_row.index("</tr>")]
