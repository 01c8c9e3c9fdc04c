"""A hand-counted county month for the dashboards (October 2026, September before it).

甲镇 (town_a), October: #1 event 10-04, submitted 10-05 10:00, adopted 10-06 10:00 (动态), adopted
by the city (recorded by hand) with a leader's instruction, tagged 基层组织建设; #2 event 10-10,
submitted 10-10 10:00, returned 12:00 (经验做法); #3 no event date, submitted 10-20 10:00,
adopted 10-25 10:00 (动态), adopted by the province. September: one item submitted 09-15 10:00
and adopted 09-16 10:00.
乙镇 (town_b), October: one item, event 10-11, submitted 10-12 10:00, untouched (问题建议).
丙镇 (town_c): nothing — the silent unit.
Ledger: one line of 5 points for 甲镇 #1 (city level), dated 10-08.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.conftest import County
from tests.factories import category, make_item, make_unit, put_in_state
from xinbao.items.models import Item, ItemEvent, State
from xinbao.orgs.models import Unit, User
from xinbao.publishing.models import ExternalAdoption, Instruction
from xinbao.scoring.ledger import retally
from xinbao.scoring.models import FactType, ScoreEntry
from xinbao.topics.models import KeyWorkArea, KeyWorkTag
from xinbao.topics.timeliness import timeliness_refresh

YEAR = 2026


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Test databases reuse primary keys; cached figures must not leak between tests."""
    cache.clear()


def at(month: int, day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(YEAR, month, day, hour))


def event(item: Item, action: str, to_state: str, actor: User, when: datetime.datetime) -> None:
    row = ItemEvent.objects.create(
        item=item, action=action, from_state=State.SUBMITTED, to_state=to_state, actor=actor
    )
    ItemEvent.objects.filter(pk=row.pk).update(created_at=when)


def reported(
    officer: User,
    editor: User,
    *,
    submitted: datetime.datetime,
    adopted: datetime.datetime | None = None,
    returned: datetime.datetime | None = None,
    category_name: str = "动态",
    event_date: datetime.date | None = None,
    urgency: int = 0,
) -> Item:
    item = make_item(officer=officer, category=category(category_name), event_date=event_date)
    state = State.ADOPTED if adopted else State.RETURNED if returned else State.SUBMITTED
    put_in_state(item, state, submitted_at=submitted, urgency=urgency)
    event(item, "submit", State.SUBMITTED, officer, submitted)
    if returned:
        event(item, "return", State.RETURNED, editor, returned)
    if adopted:
        event(item, "adopt", State.ADOPTED, editor, adopted)
    timeliness_refresh(item)
    return item


@dataclass
class Month:
    county: County
    town_c: Unit
    first: Item
    second: Item
    third: Item
    town_b_item: Item


@pytest.fixture
def month(county: County) -> Month:
    c = county
    town_c = make_unit(name="丙镇", parent=c.dept)
    ed = c.editor
    first = reported(
        c.officer_a,
        ed,
        submitted=at(10, 5),
        adopted=at(10, 6),
        event_date=datetime.date(YEAR, 10, 4),
    )
    second = reported(
        c.officer_a,
        ed,
        submitted=at(10, 10),
        returned=at(10, 10, 12),
        category_name="经验做法",
        event_date=datetime.date(YEAR, 10, 10),
    )
    third = reported(c.officer_a, ed, submitted=at(10, 20), adopted=at(10, 25))
    reported(c.officer_a, ed, submitted=at(9, 15), adopted=at(9, 16))
    town_b_item = reported(
        c.officer_b,
        ed,
        submitted=at(10, 12),
        category_name="问题建议",
        event_date=datetime.date(YEAR, 10, 11),
    )
    ExternalAdoption.objects.create(
        item=first,
        level="city",
        outlet="澜江组工",
        adopted_on=datetime.date(YEAR, 10, 8),
        recorded_by=ed,
    )
    ExternalAdoption.objects.create(
        item=third,
        level="province",
        outlet="省组工信息",
        adopted_on=datetime.date(YEAR, 10, 28),
        recorded_by=ed,
    )
    Instruction.objects.create(
        item=first,
        level="county",
        leader_title="县委书记",
        instructed_on=datetime.date(YEAR, 10, 9),
        text="很好。",
        recorded_by=ed,
    )
    ScoreEntry.objects.create(
        department=c.dept,
        year=YEAR,
        unit=c.town_a,
        item=first,
        fact_type=FactType.ADOPTION,
        fact_id="external:1",
        fact_date=datetime.date(YEAR, 10, 8),
        level="city",
        points=Decimal(5),
        reason="市级采用",
        rule="adoption.periodical.city",
        computed_at=timezone.now(),
        counts_adopted=True,
        counts_high=True,
    )
    # Rankings read the ledger's monthly tallies, which the ledger rewrites with its rows.
    retally(c.dept, YEAR)
    area = KeyWorkArea.objects.create(department=c.dept, year=YEAR, name="基层组织建设")
    KeyWorkTag.objects.create(area=area, item=first, tagged_by=c.officer_a)
    return Month(c, town_c, first, second, third, town_b_item)
