"""The ranking and statement pages: who sees which unit's ledger, the deduction form, and query
counts that do not grow with units or ledger lines."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.conftest import County
from tests.factories import make_unit
from tests.scoring.conftest import YEAR, carry
from xinbao.items.models import Item
from xinbao.orgs.models import User
from xinbao.publishing.models import Publication
from xinbao.scoring import ledger
from xinbao.scoring.models import ManualAdjustment, RuleSet, ScoreEntry
from xinbao.scoring.services import adjustment_record

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def statement_url(unit: Any) -> str:
    return f"/scoring/units/{unit.pk}/?year={YEAR}"


@pytest.fixture
def scored(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: dict[str, Publication],
) -> Item:
    ruleset()
    item = submitted()
    carry(item, publications["city"])
    ledger.rebuild(county.dept, YEAR, today=datetime.date(YEAR, 12, 31))
    return item


@pytest.mark.parametrize("who", ["officer_a", "leader_a", "editor", "dept_leader"])
def test_own_unit_and_department_staff_read_the_statement(
    county: County, scored: Item, who: str
) -> None:
    response = client_for(getattr(county, who)).get(statement_url(county.town_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert "《澜江组工》" in page and "采用(市级)+10" in page
    assert '<td class="num" id="total"><strong>10</strong></td>' in page


@pytest.mark.parametrize(
    ("who", "unit"),
    [("officer_b", "town_a"), ("leader_b", "town_a"), ("other_editor", "town_a")],
)
def test_other_units_statements_are_not_found(
    county: County, scored: Item, who: str, unit: str
) -> None:
    response = client_for(getattr(county, who)).get(statement_url(getattr(county, unit)))
    assert response.status_code == 404


def test_mine_leads_an_officer_to_the_own_statement(county: County) -> None:
    response = client_for(county.officer_b).get("/scoring/mine/")
    assert response.status_code == 302
    assert response["Location"] == f"/scoring/units/{county.town_b.pk}/"


@pytest.mark.parametrize("who", ["officer_a", "leader_a", "other_officer", "sysadmin"])
def test_ranking_is_for_department_staff_only(county: County, who: str) -> None:
    assert client_for(getattr(county, who)).get("/scoring/ranking/").status_code == 404


def test_ranking_orders_units_within_their_class(county: County, scored: Item) -> None:
    response = client_for(county.dept_leader).get(f"/scoring/ranking/?year={YEAR}")
    assert response.status_code == 200
    township = response.context["groups"][0]
    assert township.kind == "township"
    first, second = township.rows[:2]
    assert (first.unit, first.rank, first.points) == (county.town_a, 1, Decimal(10))
    assert (first.submitted, first.adopted, first.high_level) == (1, 1, 1)
    assert (second.unit, second.rank, second.points) == (county.town_b, 2, Decimal(0))


def test_editor_records_a_deduction_fact_from_the_statement(
    county: County, scored: Item, django_capture_on_commit_callbacks: Any
) -> None:
    scored_rules = RuleSet.objects.get()
    scored_rules.rules = {**scored_rules.rules, "deductions": {"other": -3}}
    scored_rules.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(county.editor).post(
            f"/scoring/units/{county.town_a.pk}/adjustments/",
            {
                "kind": "other",
                "count": "1",
                "occurred_on": f"{YEAR}-05-06",
                "reason": "未按要求报送",
            },
        )
    assert response.status_code == 302
    reasons = list(ScoreEntry.objects.filter(unit=county.town_a).values_list("reason", flat=True))
    assert "其他违反报送规定1次:未按要求报送 -3" in reasons


def test_department_leader_cannot_record_deductions(county: County, scored: Item) -> None:
    response = client_for(county.dept_leader).post(
        f"/scoring/units/{county.town_a.pk}/adjustments/",
        {"kind": "other", "count": "1", "occurred_on": f"{YEAR}-05-06", "reason": "x"},
    )
    assert response.status_code == 404


def test_ranking_query_count_does_not_grow_with_units(
    county: County,
    ruleset: Callable[..., RuleSet],
    django_assert_num_queries: Any,
) -> None:
    ruleset()
    client = client_for(county.editor)
    counts = []
    for more in (1, 15):
        for n in range(more):
            unit = make_unit(parent=county.dept, name=f"加测单位{more}-{n}")
            ScoreEntry.objects.create(
                department=county.dept,
                year=YEAR,
                unit=unit,
                fact_type="quota",
                fact_id=f"{YEAR}-01",
                fact_date=datetime.date(YEAR, 1, 31),
                points=Decimal(10),
                reason="测试",
                rule="monthly_base",
                computed_at=datetime.datetime(YEAR, 2, 1, tzinfo=datetime.UTC),
            )
        with django_assert_num_queries(8) as captured:  # as tests/scoring/test_rankings.py
            assert client.get(f"/scoring/ranking/?year={YEAR}").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_editor_revokes_a_deduction_with_a_reason(county: County, scored: Item) -> None:
    adjustment = adjustment_record(
        actor=county.editor,
        unit=county.town_a,
        kind=ManualAdjustment.Kind.OTHER,
        reason="误报",
        occurred_on=datetime.date(YEAR, 5, 6),
    )
    editor = client_for(county.editor)
    page = editor.get(statement_url(county.town_a)).content.decode()
    assert f"/scoring/adjustments/{adjustment.pk}/revoke/" in page
    # Another department's editor cannot reach it; an empty reason changes nothing.
    url = f"/scoring/adjustments/{adjustment.pk}/revoke/"
    assert client_for(county.other_editor).post(url, {"reason": "x"}).status_code == 404
    editor.post(url, {"reason": " "})
    adjustment.refresh_from_db()
    assert adjustment.revoked_at is None
    response = editor.post(url, {"reason": "经核实系正常报送"})
    assert response["Location"] == f"/scoring/units/{county.town_a.pk}/?year={YEAR}"
    adjustment.refresh_from_db()
    assert adjustment.revoked_by == county.editor
    assert adjustment.revoke_reason == "经核实系正常报送"


def test_unit_staff_do_not_see_the_deduction_form(county: County, scored: Item) -> None:
    page = client_for(county.officer_a).get(statement_url(county.town_a)).content.decode()
    assert "登记扣分事实" not in page
