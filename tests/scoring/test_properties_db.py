"""Acceptance properties of the ledger over generated fact sets (hypothesis, on the database):
rebuilding is deterministic; adding an adoption never lowers anyone's points, unit's or
officer's (rule sets without caps); "highest only" never counts one item twice; joint shares
sum to the item's points."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import County
from tests.scoring.conftest import BASE_RULES, YEAR, carry
from xinbao.items.models import Item
from xinbao.publishing.models import ExternalAdoption, Publication
from xinbao.scoring import ledger
from xinbao.scoring.models import ScoreEntry

pytestmark = pytest.mark.django_db
TODAY = datetime.date(YEAR + 1, 1, 1)
LONG = "基层党组织建设情况。" * 30

adoptions = st.lists(
    st.tuples(
        st.integers(0, 3),  # item
        st.sampled_from(["county", "web", "city", "province", "media-city"]),
        st.integers(1, 12),  # month
    ),
    min_size=1,
    max_size=8,
)
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def scene(
    county: County, submitted: Callable[..., Item], publications: dict[str, Publication]
) -> Any:
    items = [submitted(title=f"信息{n}", body=LONG) for n in range(4)]
    items[1].co_units.add(county.town_b)
    items[3].co_units.add(county.town_b, county.other_dept)  # three units share item 3
    return county, items, publications


def add(county: County, items: list[Item], pubs: dict[str, Publication], step: Any) -> None:
    index, outlet, month = step
    on = datetime.date(YEAR, month, 10)
    if outlet == "province":
        ExternalAdoption.objects.create(
            item=items[index], level="province", outlet="省委组工信息", adopted_on=on,
            recorded_by=county.editor,
        )  # fmt: skip
    elif outlet == "media-city":
        ExternalAdoption.objects.create(
            item=items[index], kind=ExternalAdoption.Kind.NEWSPAPER, level="city",
            outlet="澜江日报", adopted_on=on, recorded_by=county.editor,
        )  # fmt: skip
    else:
        carry(items[index], pubs[outlet], on=on)


def totals(county: County) -> dict[Any, Decimal]:
    """Each unit's points, and each officer's (the rows attributed to them, ``("officer", id)``):
    what the unit and officer rankings add up."""
    result: dict[Any, Decimal] = defaultdict(Decimal)
    rows = ScoreEntry.objects.filter(department=county.dept)
    for unit_id, officer_id, points in rows.values_list("unit_id", "officer_id", "points"):
        result[unit_id] += points
        if officer_id is not None:
            result[("officer", officer_id)] += points
    return result


def install(county: County, **rules: Any) -> None:
    from xinbao.scoring.models import RuleSet

    RuleSet.objects.update_or_create(
        department=county.dept,
        year=YEAR,
        defaults={"name": "测试", "rules": {**BASE_RULES, **rules}},
    )


@SETTINGS
@given(steps=adoptions, mode=st.sampled_from(["highest_only", "cumulative"]))
def test_adding_adoptions_never_lowers_points_and_highest_only_counts_once(
    scene: Any, steps: list[Any], mode: str
) -> None:
    county, items, pubs = scene
    with transaction.atomic():
        install(county, multi_level=mode, topic={}, quotas={})
        ledger.rebuild(county.dept, YEAR, today=TODAY)
        before = totals(county)
        for step in steps:
            add(county, items, pubs, step)
            ledger.rebuild(county.dept, YEAR, today=TODAY)
            after = totals(county)
            for unit_id in set(before) | set(after):
                assert after.get(unit_id, Decimal(0)) >= before.get(unit_id, Decimal(0)), step
            before = after
            positive = Counter(
                ScoreEntry.objects.filter(
                    department=county.dept, fact_type="adoption", points__gt=0
                ).values_list("unit_id", "item_id")
            )
            if mode == "highest_only":
                assert all(n == 1 for n in positive.values()), positive
            # Every item's shares sum to the points of the adoptions it was paid for.
            for item in items:
                lines = ScoreEntry.objects.filter(item=item, fact_type="adoption")
                by_fact: dict[str, Decimal] = defaultdict(Decimal)
                for line in lines:
                    by_fact[line.fact_id] += line.points
                lead = {line.fact_id: line for line in lines if line.unit_id == item.unit_id}
                for fact_id, paid in by_fact.items():
                    assert paid in {Decimal(0), *_table_points()}, (fact_id, paid)
                    assert fact_id in lead
        transaction.set_rollback(True)


def _table_points() -> set[Decimal]:
    values = {Decimal(str(v)) for table in BASE_RULES["adoption"].values() for v in table.values()}
    values |= {Decimal(5)}  # media at province level is not in the table: 0, or city 3
    return values


@SETTINGS
@given(steps=adoptions)
def test_rebuilding_is_deterministic(scene: Any, steps: list[Any]) -> None:
    county, items, pubs = scene
    with transaction.atomic():
        install(county, caps={"动态": 1})
        for step in steps:
            add(county, items, pubs, step)
        first = ledger.rebuild(county.dept, YEAR, today=TODAY)
        snapshot = Counter(ledger.entry_signature(e) for e in ScoreEntry.objects.all())
        second = ledger.rebuild(county.dept, YEAR, today=TODAY)
        assert second.changed == 0
        assert first.entries == second.entries
        assert Counter(ledger.entry_signature(e) for e in ScoreEntry.objects.all()) == snapshot
        rules = {**BASE_RULES, "caps": {"动态": 1}}
        once = [line.signature() for line in ledger.compute(county.dept, YEAR, rules, TODAY)]
        again = [line.signature() for line in ledger.compute(county.dept, YEAR, rules, TODAY)]
        assert once == again
        transaction.set_rollback(True)
