"""Officers' figures link to the ledger rows behind them ("why do I have 57 points"), exactly as
units' do: every figure of the officers' ranking is the sum (or count) of the rows its link
lists. Officers read their own, unit leaders their unit's officers', the department everyone's."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.conftest import County
from tests.factories import make_user
from tests.scoring.conftest import YEAR, carry
from xinbao.api.services import token_create
from xinbao.items.models import Item
from xinbao.orgs.models import Role
from xinbao.publishing.models import Publication
from xinbao.scoring import ledger, queries
from xinbao.scoring.models import ItemReview, ManualAdjustment, RuleSet, ScoreEntry
from xinbao.scoring.periods import parse_period, year_period
from xinbao.scoring.ranking import officer_ranking

pytestmark = pytest.mark.django_db
LONG = "基层党组织建设情况。" * 30
TODAY = datetime.date(YEAR + 1, 1, 1)
Pubs = dict[str, Publication]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(officer: Any, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"year": str(YEAR), **params}.items())
    return f"/scoring/officers/{officer.pk}/?{query}"


@pytest.fixture
def scene(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> dict[str, Item]:
    """off_a: a county adoption (2) in March and a 参阅类 city adoption (10) in August, plus a
    失实 deduction (−5) about the March item; off_b: an item reported jointly with 甲镇, carried
    by the county (2, split 1 + 1: 甲镇's share is 甲镇's, not off_b's). Town A also misses its
    yearly quota of 5 with 2 items (−2 for each missing one): a unit row no officer carries."""
    ruleset(
        kind_points={"reference": {"periodical": {"county": 5}}},
        quotas={"township": {"year": 5}},
        missing_item_deduction=-2,
        deductions={"inaccurate": -5},
    )
    a1 = submitted(on=datetime.date(YEAR, 3, 2), title="甲一", body=LONG)
    a2 = submitted(on=datetime.date(YEAR, 8, 2), title="甲二", body=LONG)
    b1 = submitted(on=datetime.date(YEAR, 8, 3), title="乙一", body=LONG, officer=county.officer_b)
    b1.co_units.add(county.town_a)
    carry(a1, publications["county"], on=datetime.date(YEAR, 3, 20))
    ItemReview.objects.create(item=a2, kind="reference", score=90, reviewed_by=county.editor)
    carry(a2, publications["city"], on=datetime.date(YEAR, 8, 20))
    carry(b1, publications["county"], on=datetime.date(YEAR, 8, 21))
    ManualAdjustment.objects.create(
        department=county.dept, year=YEAR, unit=county.town_a, item=a1, kind="inaccurate",
        occurred_on=datetime.date(YEAR, 4, 1), reason="数据有误", created_by=county.editor,
    )  # fmt: skip
    ledger.rebuild(county.dept, YEAR, today=TODAY)
    return {"a1": a1, "a2": a2, "b1": b1}


def figures(county: County, period: str = "") -> dict[Any, Any]:
    ranking = officer_ranking(county.dept, parse_period(period, YEAR))
    return {row.officer: row for row in ranking.overall}


def test_every_officer_figure_is_the_sum_of_the_rows_its_link_lists(
    county: County, scene: dict[str, Item]
) -> None:
    rows = figures(county)
    a, b = rows[county.officer_a], rows[county.officer_b]
    assert (a.points, a.adopted, a.high_level, a.reference) == (Decimal(7), 2, 1, 1)
    assert (b.points, b.adopted) == (Decimal(1), 1)  # 甲镇's share of 乙一 stays with 甲镇
    for officer, row in rows.items():
        lines = queries.officer_period_lines(county.dept, officer, year_period(YEAR))
        assert sum(line.points for line in lines) == row.points
        for show, figure in (("adopted", "adopted"), ("high", "high_level")):
            shown = queries.officer_period_lines(county.dept, officer, year_period(YEAR), show)
            assert shown.count() == getattr(row, figure)
    # The unit's total holds what no officer carries: its quota line and co-unit share.
    unit_total = sum(ScoreEntry.objects.filter(unit=county.town_a).values_list("points", flat=True))
    assert unit_total == Decimal(7) + Decimal(1) - Decimal(6)  # 7 + 1 − 3 items short × 2


def test_the_officers_ranking_links_each_figure_to_the_officers_statement(
    county: County, scene: dict[str, Item]
) -> None:
    page = client_for(county.editor).get(f"/scoring/ranking/?year={YEAR}&officers=1")
    html = page.content.decode()
    base = f"/scoring/officers/{county.officer_a.pk}/?year={YEAR}&amp;period={YEAR}"
    for link in (
        base,
        f"{base}&amp;show=adopted",
        f"{base}&amp;show=high",
        f"{base}&amp;show=reference",
    ):
        assert f'href="{link}"' in html
    statement = client_for(county.editor).get(url(county.officer_a, period=str(YEAR)))
    assert statement.status_code == 200
    text = statement.content.decode()
    assert '<td class="num" id="total"><strong>7</strong></td>' in text
    assert "《澜江组工》" in text and "信息失实1次:数据有误 -5" in text
    assert "少于任务" not in text  # the unit's quota row is not the officer's
    only_high = client_for(county.editor).get(url(county.officer_a, show="high")).content.decode()
    assert "市级以上采用" in only_high and "《组工信息》" not in only_high.split('id="ledger"')[1]


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("officer_a", "officer_a", 200),
        ("officer_a", "officer_a2", 404),  # a colleague's: not an officer's business
        ("officer_a", "officer_b", 404),
        ("leader_a", "officer_a", 200),
        ("leader_a", "officer_a2", 200),
        ("leader_a", "officer_b", 404),
        ("editor", "officer_b", 200),
        ("dept_leader", "officer_a", 200),
        ("other_editor", "officer_a", 404),
        ("other_officer", "officer_a", 404),
        ("editor", "leader_a", 404),  # not an officer
        ("sysadmin", "officer_a", 404),
    ],
)
def test_who_reads_which_officers_statement(
    county: County, scene: dict[str, Item], who: str, target: str, status: int
) -> None:
    response = client_for(getattr(county, who)).get(url(getattr(county, target)))
    assert response.status_code == status


def test_the_unit_statement_links_to_the_officers_a_reader_may_open(
    county: County, scene: dict[str, Item]
) -> None:
    unit_url = f"/scoring/units/{county.town_a.pk}/?year={YEAR}"
    own = client_for(county.officer_a).get(unit_url).content.decode()
    assert f"/scoring/officers/{county.officer_a.pk}/" in own
    assert f"/scoring/officers/{county.officer_a2.pk}/" not in own
    lead = client_for(county.leader_a).get(unit_url).content.decode()
    assert f"/scoring/officers/{county.officer_a2.pk}/" in lead


def test_officer_statement_queries_do_not_grow_with_rows(
    county: County,
    scene: dict[str, Item],
    submitted: Callable[..., Item],
    publications: Pubs,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(county.officer_a)
    counts = []
    for more in (1, 6):
        for n in range(more):
            item = submitted(on=datetime.date(YEAR, 5, 1 + n), body=LONG, title=f"加{more}{n}")
            carry(item, publications["web"], on=datetime.date(YEAR, 5, 10 + n))
        ledger.rebuild(county.dept, YEAR, today=TODAY)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url(county.officer_a)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_api_officer_rows_link_to_the_officers_ledger(
    county: County, scene: dict[str, Item]
) -> None:
    def get(user: Any, path: str, **params: Any) -> Any:
        _token, secret = token_create(user=user, name="测试")
        headers = {"Authorization": f"Bearer {secret}"}
        return Client().get("/api/v1" + path, params, headers=headers)

    rows = get(county.editor, "/rankings", year=YEAR, officers="true").json()["rows"]
    first = next(r for r in rows if r["officer"] == county.officer_a.username)
    assert first["ledger"] == f"/api/v1/officers/{county.officer_a.pk}/ledger?period={YEAR}"
    body = get(county.officer_a, first["ledger"].removeprefix("/api/v1")).json()
    assert body["total"] == first["points"] == 7.0
    assert body["officer"] == county.officer_a.username
    assert {e["rule"] for e in body["entries"]} >= {"deductions.inaccurate"}
    stranger = get(county.officer_b, f"/officers/{county.officer_a.pk}/ledger")
    assert stranger.status_code == 404
    other = make_user(role=Role.OFFICER, unit=county.town_b, username="off_b2")
    assert get(county.leader_b, f"/officers/{other.pk}/ledger").status_code == 200


@pytest.mark.parametrize("who", ["leader_a", "editor"])
def test_unit_statement_queries_do_not_grow_with_officers_or_rows(
    county: County,
    scene: dict[str, Item],
    submitted: Callable[..., Item],
    publications: Pubs,
    django_assert_max_num_queries: Any,
    who: str,
) -> None:
    client = client_for(getattr(county, who))
    counts = []
    for more in (1, 5):
        for n in range(more):
            officer = make_user(role=Role.OFFICER, unit=county.town_a)
            item = submitted(on=datetime.date(YEAR, 6, 1 + n), body=LONG, officer=officer)
            carry(item, publications["web"], on=datetime.date(YEAR, 6, 10 + n))
        ledger.rebuild(county.dept, YEAR, today=TODAY)
        with django_assert_max_num_queries(14) as captured:
            page = client.get(f"/scoring/units/{county.town_a.pk}/?year={YEAR}")
        assert page.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
