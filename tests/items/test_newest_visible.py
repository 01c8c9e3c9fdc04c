"""``items.permissions.newest_visible_ids``: each part of a user's visibility read newest first
on its own and the parts merged gives exactly the newest visible items, for every role, every
filter and every page, and reads no part of the items table beyond its index."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import County
from tests.factories import make_item, make_unit, make_user, put_in_state
from tests.items.test_query_plans import scans_items_table, statement_plan
from xinbao.api.queries import item_page
from xinbao.items.models import Item, State
from xinbao.items.permissions import newest_visible_ids
from xinbao.items.queries import ItemFilter, filter_items, items_visible_to
from xinbao.items.services import transition
from xinbao.orgs.models import Role, User
from xinbao.publishing import services as publishing

pytestmark = pytest.mark.django_db

STATES = [State.DRAFT, State.SUBMITTED, State.ADOPTED, State.RETURNED, State.PENDING_SIGNOFF]


@pytest.fixture
def people(county: County) -> dict[str, User]:
    """Items of both towns and the neighbouring county in many states; two of 甲镇's forwarded
    to the city, whose editor sees them beside the items submitted to the city itself."""
    for i in range(30):
        officer = [county.officer_a, county.officer_b, county.other_officer][i % 3]
        put_in_state(make_item(officer=officer, title=f"第{i}条", urgency=i % 3), STATES[i % 5])
    city = county.dept.parent
    assert city is not None
    for _ in range(2):
        item = put_in_state(make_item(officer=county.officer_a, title="上报"), State.SUBMITTED)
        transition(item=item, actor=county.editor, action="adopt")
        item.refresh_from_db()
        publishing.item_forward(item=item, actor=county.editor)
        put_in_state(make_item(officer=county.officer_b, title="其后"), State.SUBMITTED)
    city_unit = make_unit(name="市直机关工委", parent=city)
    city_officer = make_user(role=Role.OFFICER, unit=city_unit, username="city_officer")
    put_in_state(make_item(officer=city_officer, title="市直"), State.SUBMITTED)
    return {
        "officer": county.officer_a,
        "unit leader": county.leader_b,
        "editor": county.editor,
        "department leader": county.dept_leader,
        "other county's editor": county.other_editor,
        "city editor": make_user(role=Role.EDITOR, unit=city, username="city_editor"),
        "administrator": county.sysadmin,
    }


FILTERS: dict[str, Callable[[County], ItemFilter]] = {
    "none": lambda c: ItemFilter(),
    "state": lambda c: ItemFilter(state=State.ADOPTED),
    "unit": lambda c: ItemFilter(unit_id=c.town_a.pk),
    "urgent": lambda c: ItemFilter(urgent_only=True),
    "title": lambda c: ItemFilter(title_contains="上报"),
}


@pytest.mark.parametrize("limit", [1, 4, 100])
@pytest.mark.parametrize("name", sorted(FILTERS))
def test_the_merged_parts_are_the_newest_visible_items(
    county: County, people: dict[str, User], name: str, limit: int
) -> None:
    f = FILTERS[name](county)
    for who, user in people.items():
        expected = list(
            filter_items(items_visible_to(user), f).order_by("-pk").values_list("pk", flat=True)
        )
        found = newest_visible_ids(user, limit, narrow=lambda qs: filter_items(qs, f))
        assert found == expected[:limit], who
    assert newest_visible_ids(people["city editor"], 100), "the city editor sees items"


def test_pages_below_a_cursor_walk_every_visible_item_once(people: dict[str, User]) -> None:
    for who, user in people.items():
        seen: list[int] = []
        before: int | None = None
        while True:
            page = item_page(user, ItemFilter(), before=before, limit=3)
            seen += [item.pk for item in page]
            if len(page) < 3:
                break
            before = page[-1].pk
        expected = list(items_visible_to(user).order_by("-pk").values_list("pk", flat=True))
        assert seen == expected, who


def executed(read: Callable[[], object]) -> list[str]:
    """The statements ``read`` ran on the items table."""
    with CaptureQueriesContext(connection) as ctx:
        read()
    return [str(q["sql"]) for q in ctx.captured_queries if "items_item" in str(q["sql"])]


def test_the_plan_check_sees_a_scan(county: County) -> None:
    make_item(officer=county.officer_a)
    (sql,) = executed(lambda: list(Item.objects.filter(title__contains="党建")))
    assert scans_items_table(statement_plan(sql))


@pytest.mark.parametrize("role", ["officer", "editor", "city editor"])
def test_a_page_is_read_from_indexes(people: dict[str, User], role: str) -> None:
    pages: list[list[Item]] = []
    statements = executed(
        lambda: pages.append(item_page(people[role], ItemFilter(), before=None, limit=20))
    )
    assert pages[0] and statements
    for sql in statements:
        assert not scans_items_table(statement_plan(sql)), sql
