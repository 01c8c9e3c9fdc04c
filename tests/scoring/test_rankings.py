"""Rankings for any period (units by class and overall, officers), the ledger rows behind each
figure, the what-if preview, the year-end outputs (opened back), the commands and the API."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from tests.conftest import County
from tests.factories import make_unit, make_user
from tests.scoring.conftest import BASE_RULES, YEAR, carry
from xinbao.api.services import token_create
from xinbao.items.models import Item
from xinbao.orgs.models import Role
from xinbao.publishing.models import Instruction, Publication
from xinbao.scoring import ledger, reports
from xinbao.scoring.models import ItemReview, RuleSet, ScoreEntry, ScoreTally
from xinbao.scoring.periods import parse_period, year_period
from xinbao.scoring.ranking import officer_ranking, unit_ranking
from xinbao.scoring.whatif import whatif
from xinbao.scoring.yearend import Thresholds, commendations, criticism

pytestmark = pytest.mark.django_db
LONG = "基层党组织建设情况。" * 30
TODAY = datetime.date(YEAR + 1, 1, 1)
Pubs = dict[str, Publication]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scored(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> dict[str, Item]:
    """Town A: a county adoption in March and a 参阅类 city adoption in August; town B: one
    county adoption in August. 参阅类 at county level pays 5."""
    ruleset(
        kind_points={"reference": {"periodical": {"county": 5}}},
        quotas={"township": {"quarter": 1}},
    )
    a1 = submitted(on=datetime.date(YEAR, 3, 2), title="甲一", body=LONG)
    a2 = submitted(on=datetime.date(YEAR, 8, 2), title="甲二", body=LONG)
    b1 = submitted(on=datetime.date(YEAR, 8, 3), title="乙一", body=LONG, officer=county.officer_b)
    carry(a1, publications["county"], on=datetime.date(YEAR, 3, 20))
    ItemReview.objects.create(item=a2, kind="reference", score=90, reviewed_by=county.editor)
    carry(a2, publications["city"], on=datetime.date(YEAR, 8, 20))
    carry(b1, publications["county"], on=datetime.date(YEAR, 8, 21))
    ledger.rebuild(county.dept, YEAR, today=TODAY)
    return {"a1": a1, "a2": a2, "b1": b1}


def row_of(ranking: Any, unit: Any) -> Any:
    return next(r for r in ranking.overall if r.unit == unit)


def test_year_quarter_month_and_range_rankings(county: County, scored: dict[str, Item]) -> None:
    year = unit_ranking(county.dept, year_period(YEAR))
    a, b = row_of(year, county.town_a), row_of(year, county.town_b)
    assert (a.points, a.submitted, a.adopted, a.high_level, a.reference) == (12, 2, 2, 1, 1)
    assert (a.rank, a.overall_rank, b.rank) == (1, 1, 2)
    assert a.adoption_rate == 1 and a.high_share == 0.5 and a.reference_share == 0.5
    assert a.quota == 4 and a.quota_completion == 0.5
    q1 = unit_ranking(county.dept, parse_period(f"{YEAR}-Q1", YEAR))
    assert (row_of(q1, county.town_a).points, row_of(q1, county.town_b).points) == (2, 0)
    august = unit_ranking(county.dept, parse_period(f"{YEAR}-08", YEAR))
    assert row_of(august, county.town_a).points == 10  # city beats 参阅类's county 5
    # A date range with partial months reads the ledger rows of the partial days.
    span = unit_ranking(county.dept, parse_period(f"{YEAR}-03-15..{YEAR}-08-20", YEAR))
    assert (row_of(span, county.town_a).points, row_of(span, county.town_a).submitted) == (12, 1)
    assert row_of(span, county.town_b).points == 0  # its adoption was on the 21st


def test_ties_break_on_high_level_then_adopted_then_code(
    county: County, scored: dict[str, Item], publications: Pubs, submitted: Callable[..., Item]
) -> None:
    # Give town B 10 more points from county adoptions: 12 each, A has the city adoption.
    for n in range(5):
        item = submitted(on=datetime.date(YEAR, 9, 1 + n), body=LONG, officer=county.officer_b)
        carry(item, publications["county"], on=datetime.date(YEAR, 9, 10 + n))
    ledger.rebuild(county.dept, YEAR, today=TODAY)
    year = unit_ranking(county.dept, year_period(YEAR))
    a, b = row_of(year, county.town_a), row_of(year, county.town_b)
    assert a.points == b.points == 12
    assert (a.rank, b.rank) == (1, 2)  # A has one 市级以上 adoption


def test_officers_ranking_follows_the_items_they_wrote(
    county: County, scored: dict[str, Item]
) -> None:
    ranking = officer_ranking(county.dept, year_period(YEAR))
    by_officer = {r.officer: r for r in ranking.overall}
    assert by_officer[county.officer_a].points == 12
    assert by_officer[county.officer_b].points == 2
    assert by_officer[county.officer_a2].points == 0
    assert [r.officer for r in ranking.overall][:2] == [county.officer_a, county.officer_b]


def test_tallies_follow_incremental_updates(
    county: County,
    scored: dict[str, Item],
    publications: Pubs,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        carry(scored["b1"], publications["city"], on=datetime.date(YEAR, 10, 1))
    year = unit_ranking(county.dept, year_period(YEAR))
    assert row_of(year, county.town_b).points == 10  # highest only: the city adoption
    assert ScoreTally.objects.filter(unit=county.town_b).exists()


def test_ranking_page_links_every_figure_to_its_ledger_rows(
    county: County, scored: dict[str, Item]
) -> None:
    page = client_for(county.editor).get(f"/scoring/ranking/?year={YEAR}&period={YEAR}-Q3")
    html = page.content.decode()
    url = f"/scoring/units/{county.town_a.pk}/?year={YEAR}&amp;period={YEAR}-Q3&amp;show=reference"
    assert url in html
    statement = client_for(county.editor).get(url.replace("&amp;", "&")).content.decode()
    assert "澜江组工" in statement and "参阅类采用" in statement
    assert "组工信息》" not in statement.split("澜江组工")[0].split('id="ledger"')[1]


def test_ranking_page_refuses_bad_periods_clearly(county: County, scored: dict[str, Item]) -> None:
    page = client_for(county.editor).get(f"/scoring/ranking/?year={YEAR}&period=2026-13")
    assert page.status_code == 200
    assert "无法识别的期间“2026-13”" in page.content.decode()


def test_unit_people_see_only_their_own_statement(county: County, scored: dict[str, Item]) -> None:
    own = client_for(county.officer_a).get(f"/scoring/units/{county.town_a.pk}/?year={YEAR}")
    assert own.status_code == 200
    assert (
        client_for(county.officer_a).get(f"/scoring/units/{county.town_b.pk}/").status_code == 404
    )
    assert client_for(county.leader_b).get("/scoring/ranking/").status_code == 404


PAGES = [
    "/scoring/ranking/?year={y}",
    "/scoring/ranking/?year={y}&officers=1",
    "/scoring/ranking/?year={y}&period={y}-03-15..{y}-08-20",
]


# The same on SQLite and PostgreSQL; the rule set is read once (by the units' ranking, or by the
# view for the officers').
PAGE_QUERIES = {PAGES[0]: 8, PAGES[1]: 7, PAGES[2]: 12}


@pytest.mark.parametrize("path", PAGES)
def test_ranking_query_count_does_not_grow(
    county: County, ruleset: Callable[..., RuleSet], submitted: Callable[..., Item],
    publications: Pubs, django_assert_num_queries: Any, path: str,
) -> None:  # fmt: skip
    ruleset()
    client = client_for(county.editor)
    counts = []
    for size in (1, 8):
        for n in range(size):
            unit = make_unit(parent=county.dept, name=f"加测{size}-{n}")
            officer = make_user(role=Role.OFFICER, unit=unit)
            item = submitted(on=datetime.date(YEAR, 3, 2), officer=officer, body=LONG)
            carry(item, publications["county"], on=datetime.date(YEAR, 3, 20))
        ledger.rebuild(county.dept, YEAR, today=TODAY)
        with django_assert_num_queries(PAGE_QUERIES[path]) as captured:
            assert client.get(path.format(y=YEAR)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_whatif_shows_both_columns_and_moves_without_writing(
    county: County, scored: dict[str, Item]
) -> None:
    draft = {**RuleSet.objects.get().rules, "adoption": {"periodical": {"county": 20, "city": 1}}}
    before = list(ScoreEntry.objects.order_by("id").values_list("id", "points"))
    with CaptureQueriesContext(connection) as queries:
        [group] = whatif(county.dept, YEAR, draft, today=TODAY)
    assert not [
        q for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert list(ScoreEntry.objects.order_by("id").values_list("id", "points")) == before
    rows = {r.unit: r for r in group.rows}
    a, b = rows[county.town_a], rows[county.town_b]
    assert (a.current.points, a.draft.points, a.current.rank, a.draft.rank) == (12, 21, 1, 1)
    assert (b.current.points, b.draft.points) == (2, 20)
    page = client_for(county.editor).post(
        f"/scoring/whatif/?year={YEAR}",
        {"rules": json.dumps({"adoption": {"periodical": {"county": "x"}}})},
    )
    assert "“adoption.periodical.county”必须是数字。" in page.content.decode()
    assert "county&quot;: &quot;x" in page.content.decode()  # the typed text is kept


def instruct(county: County, item: Item) -> None:
    """A county leader's instruction on ``item`` (+5 now); drafts below make it worth 50."""
    Instruction.objects.create(
        item=item, level="county", leader_title="县委书记", instructed_on=datetime.date(YEAR, 9, 1),
        text="阅。", recorded_by=county.editor,
    )  # fmt: skip
    ledger.rebuild(county.dept, YEAR, today=TODAY)


def test_whatif_page_shows_moves(county: County, scored: dict[str, Item]) -> None:
    instruct(county, scored["b1"])
    draft = {**BASE_RULES, "instruction": {"county": 50}}
    page = client_for(county.editor).post(
        f"/scoring/whatif/?year={YEAR}", {"rules": json.dumps(draft)}
    )
    html = page.content.decode()
    assert "↑1" in html and "↓1" in html
    assert client_for(county.dept_leader).get("/scoring/whatif/").status_code == 404


def test_commendations_and_criticism(county: County, scored: dict[str, Item]) -> None:
    proposals = commendations(
        county.dept, YEAR, Thresholds(unit_min_completion=0.0, officer_min_adopted=1)
    )
    [township] = [g for g in proposals.units if g.kind == "township"]
    assert [r.unit for r in township.rows] == [county.town_a, county.town_b]
    assert [r.officer for r in proposals.officers] == [county.officer_a, county.officer_b]
    assert [g.item for g in proposals.items] == [scored["a2"], scored["a1"], scored["b1"]]
    strict = commendations(county.dept, YEAR, Thresholds(unit_min_points=Decimal(5)))
    assert [r.unit for g in strict.units for r in g.rows] == []  # below the yearly quota
    listed = criticism(county.dept, YEAR, TODAY)
    assert {r.unit for r in listed.below_quota} >= {county.town_a, county.town_b}
    silent = dict(listed.silent)
    assert "2026年1月" in silent[county.town_a] and "2026年3月" not in silent[county.town_a]
    assert "2026年第2季度" in silent[county.town_a]


def test_api_yearend_lists_what_the_page_lists(county: County, scored: dict[str, Item]) -> None:
    params = {"year": YEAR, "unit_min_completion": 0, "officer_min_adopted": 1}
    answer = api_get(county.editor, "/assessment/yearend", **params)
    assert answer.status_code == 200, answer.content
    data = answer.json()
    [township] = [g for g in data["units"] if g["unit_class"] == "township"]
    assert [r["unit_code"] for r in township["rows"]] == [county.town_a.code, county.town_b.code]
    assert [r["officer"] for r in data["officers"]] == [
        county.officer_a.username, county.officer_b.username
    ]  # fmt: skip
    assert [g["item_id"] for g in data["good_items"]] == [
        scored["a2"].pk, scored["a1"].pk, scored["b1"].pk
    ]  # fmt: skip
    listed = criticism(county.dept, YEAR, timezone.localdate())
    assert data["silent"] and data["below_quota"]
    assert [(s["unit_code"], s["periods"]) for s in data["silent"]] == [
        (unit.code, periods) for unit, periods in listed.silent
    ]
    strict = api_get(county.editor, "/assessment/yearend", year=YEAR, unit_min_points=5).json()
    assert [r for g in strict["units"] for r in g["rows"]] == []
    assert api_get(county.officer_a, "/assessment/yearend").status_code == 404
    bad = api_get(county.editor, "/assessment/yearend", good_items=9)
    assert bad.status_code == 422 and "good_items" in bad.json()["detail"]


def test_bulletin_docx_in_the_official_layout(county: County, scored: dict[str, Item]) -> None:
    data = reports.bulletin_docx(county.dept, parse_period(f"{YEAR}-Q3", YEAR), number=3)
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "组工信息工作通报"
    assert f"{YEAR}年第3期" in texts
    assert f"关于{YEAR}年第3季度全县组工信息工作情况的通报" in "".join(texts)
    body = "\n".join(texts)
    assert "共报送信息2条,计分采用2条,其中被市级以上采用1条" in body
    assert "甲镇(10分)" in body
    section = document.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28


def test_statistics_xlsx_has_frozen_headers_and_the_figures(
    county: County, scored: dict[str, Item]
) -> None:
    data = reports.statistics_xlsx(county.dept, unit_ranking(county.dept, year_period(YEAR)))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "各单位信息报送和采用情况统计表"
    assert ws.freeze_panes == "C4"
    assert [c.value for c in ws[3]][:6] == ["名次", "单位", "单位类别", "得分", "报送", "计分采用"]
    assert [c.value for c in ws[4]][:8] == [1, "甲镇", "乡镇", 12, 2, 2, "100%", 1]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:P1", "A2:P2"}
    assert ws.print_title_rows == "$1:$3" and ws["D3"].font.bold
    assert ws["A2"].value.startswith("测试县委组织部 2026年") and ws.max_row == 5
    response = client_for(county.editor).get(f"/scoring/statistics.xlsx?year={YEAR}")
    assert response["Content-Type"] == reports.XLSX_MIME
    assert client_for(county.officer_a).get("/scoring/statistics.xlsx").status_code == 404


def test_ranking_command_json_table_and_xlsx(
    county: County, scored: dict[str, Item], tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command("ranking", year=YEAR, format="json", department=county.dept.code, stdout=out)
    rows = json.loads(out.getvalue())["rows"]
    first = rows[0]
    keys = ("unit_code", "unit", "points", "submitted", "adopted", "rank")
    assert {k: first[k] for k in keys} == {
        "unit_code": county.town_a.code, "unit": "甲镇", "points": 12.0, "submitted": 2,
        "adopted": 2, "rank": 1,
    }  # fmt: skip
    out = io.StringIO()
    call_command("ranking", "--year", str(YEAR), "--period", f"{YEAR}-Q1", "--class", "乡镇",
                 "--department", county.dept.code, "--format", "table", stdout=out)  # fmt: skip
    assert "甲镇\t2\t1\t1" in out.getvalue()
    path = tmp_path / "r.xlsx"
    call_command("ranking", "--year", str(YEAR), "--officers", "--department", county.dept.code,
                 "--format", "xlsx", "--out", str(path), stdout=io.StringIO())  # fmt: skip
    assert load_workbook(path).active["B2"].value == county.officer_a.display_name


def test_ledger_rebuild_command_prints_changes(county: County, scored: dict[str, Item]) -> None:
    out = io.StringIO()
    call_command("ledger", "rebuild", "--year", str(YEAR), stdout=out)
    assert "共变动" in out.getvalue()
    out = io.StringIO()
    call_command("ledger", "rebuild", "--year", str(YEAR), stdout=out)
    assert out.getvalue().strip().endswith("共变动 0 条。")


def test_rules_export_and_import(county: County, scored: dict[str, Item], tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    args = ["export", str(path), "--department", county.dept.code, "--year", str(YEAR)]
    call_command("rules", *args, stdout=io.StringIO())
    document = json.loads(path.read_text(encoding="utf-8"))
    document["rules"]["kind_points"]["reference"]["periodical"]["county"] = 8
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    call_command("rules", "import", str(path), stdout=io.StringIO())
    assert RuleSet.objects.get().rules["kind_points"]["reference"]["periodical"]["county"] == 8


CRITERIA = ("clear", "accurate", "timely", "novel")


def api_get(user: Any, path: str, **params: Any) -> Any:
    _token, secret = token_create(user=user, name="测试")
    return Client().get("/api/v1" + path, params, headers={"Authorization": f"Bearer {secret}"})


def test_api_rankings_and_ledger(county: County, scored: dict[str, Item]) -> None:
    response = api_get(county.editor, "/rankings", year=YEAR, period=f"{YEAR}-Q3")
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [(r["unit_code"], r["points"], r["rank"]) for r in rows][:2] == [
        (county.town_a.code, 10.0, 1), (county.town_b.code, 2.0, 2)
    ]  # fmt: skip
    ledger_url = rows[0]["ledger"].removeprefix("/api/v1")
    entries = api_get(county.officer_a, ledger_url).json()
    assert entries["total"] == 10.0 and entries["entries"][0]["rule"] == "adoption.periodical.city"
    assert api_get(county.officer_a, f"/units/{county.town_b.pk}/ledger").status_code == 404
    assert api_get(county.officer_a, "/rankings").status_code == 403
    bad = api_get(county.editor, "/rankings", period="某月")
    assert bad.status_code == 400 and "无法识别的期间" in bad.json()["detail"]
    officers = api_get(county.editor, "/rankings", year=YEAR, officers="true").json()["rows"]
    assert officers[0]["officer"] == county.officer_a.username


def test_api_review_and_whatif(county: County, scored: dict[str, Item]) -> None:
    _token, secret = token_create(user=county.editor, name="测试")
    headers = {"Authorization": f"Bearer {secret}"}
    client = Client()
    response = client.put(
        f"/api/v1/items/{scored['a1'].pk}/review",
        json.dumps({"kind": "reference", "rubric": dict.fromkeys(CRITERIA, 20)}),
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert response.status_code == 200 and response.json()["score"] == 80
    bad = client.put(
        f"/api/v1/items/{scored['a1'].pk}/review",
        json.dumps({"kind": "reference", "rubric": {**dict.fromkeys(CRITERIA, 1), "clear": 30}}),
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert bad.status_code == 400 and "0 到 25" in bad.json()["detail"]
    instruct(county, scored["b1"])
    draft = {**BASE_RULES, "instruction": {"county": 50}}
    rows = client.post("/api/v1/rankings/whatif", json.dumps({"year": YEAR, "rules": draft}),
                       content_type="application/json", headers=headers).json()["rows"]  # fmt: skip
    moves = {r["unit_code"]: r["move"] for r in rows}
    assert moves == {county.town_a.code: -1, county.town_b.code: 1}


def test_yearend_page_with_thresholds_and_downloads(
    county: County, scored: dict[str, Item]
) -> None:
    editor = client_for(county.editor)
    page = editor.get(f"/scoring/yearend/?year={YEAR}&applied=1&unit_min_completion=0&good_items=3")
    html = page.content.decode()
    assert page.status_code == 200
    assert "甲二" in html.split('id="good-items"')[1].split("</div>")[0]
    bad = editor.get(f"/scoring/yearend/?year={YEAR}&officers=许多").content.decode()
    assert "“许多”不是有效的数字。" in bad
    word = editor.get(f"/scoring/bulletin.docx?year={YEAR}&period={YEAR}-08")
    assert Document(io.BytesIO(word.content)).paragraphs[0].text == "组工信息工作通报"
    year_only = editor.get(f"/scoring/bulletin.docx?year={YEAR}&period={YEAR}")
    assert year_only.status_code == 302
    assert client_for(county.officer_a).get("/scoring/yearend/").status_code == 404


def test_editor_reviews_an_item_on_its_page(
    county: County, scored: dict[str, Item], django_capture_on_commit_callbacks: Any
) -> None:
    url = f"/scoring/items/{scored['a1'].pk}/review/"
    editor = client_for(county.editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            url, {"kind": "reference", "clear": 10, "accurate": 10, "timely": 10, "novel": 10}
        )
    assert response.status_code == 302
    review = ItemReview.objects.get(item=scored["a1"])
    assert (review.kind, review.score) == ("reference", 40)
    partial = editor.post(url, {"kind": "photo", "clear": 10}).content.decode()
    assert "请为每一项评分,或全部留空(只标记类别)。" in partial
    assert ItemReview.objects.get(item=scored["a1"]).kind == "reference"
    assert client_for(county.officer_a).get(url).status_code == 404
    assert client_for(county.other_editor).get(url).status_code == 404
