"""The officer's portfolio: who may open it, what it holds, the comparison table, the
certificate, and constant query counts."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import County
from tests.factories import make_item, make_user
from tests.orgs.conftest import client_for, count_queries, score
from xinbao.items.models import Item
from xinbao.items.services import ItemData, item_update, transition
from xinbao.orgs import queries, services
from xinbao.orgs.certificate import certificate_docx
from xinbao.orgs.models import Role, User
from xinbao.publishing.models import ExternalAdoption, Instruction
from xinbao.scoring.models import FactType

DAY = datetime.date(2026, 4, 10)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer_a", 200),
        ("leader_a", 200),
        ("editor", 200),
        ("dept_leader", 200),
        ("officer_a2", 404),
        ("leader_b", 404),
        ("officer_b", 404),
        ("other_editor", 404),
        ("sysadmin", 404),
    ],
)
def test_portfolio_visible_to_self_unit_leader_and_department_only(
    county: County, who: str, status: int
) -> None:
    url = reverse("orgs:portfolio", args=[county.officer_a.pk])
    assert client_for(getattr(county, who)).get(url).status_code == status


def test_portfolio_of_non_officer_is_404(county: County) -> None:
    url = reverse("orgs:portfolio", args=[county.leader_a.pk])
    assert client_for(county.editor).get(url).status_code == 404


def test_year_figures_come_from_ledger_by_item_author(
    county: County, adopted: Callable[..., Item]
) -> None:
    mine = adopted("甲镇一")
    score(mine, 10, level="city")
    score(mine, 5, fact_type=FactType.INSTRUCTION)
    score(adopted("甲镇二"), 2, year=2025)
    other = adopted("乙镇的", officer=county.officer_b)
    score(other, 40, level="province")
    figures = queries.officer_year_figures([county.officer_a.pk, county.officer_b.pk], [2025, 2026])
    a26 = figures[(county.officer_a.pk, 2026)]
    assert (a26.points, a26.adopted, a26.high_level, a26.instructions) == (15, 1, 1, 1)
    assert figures[(county.officer_a.pk, 2025)].points == 2
    assert figures[(county.officer_b.pk, 2026)].points == 40


def test_joint_item_counts_for_each_author(county: County) -> None:
    item = make_item(officer=county.officer_a, authors=[county.officer_a, county.officer_a2])
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="adopt")
    score(item, 6)
    figures = queries.officer_year_figures([county.officer_a.pk, county.officer_a2.pk], [2026])
    assert figures[(county.officer_a.pk, 2026)].points == 6
    assert figures[(county.officer_a2.pk, 2026)].points == 6


def test_rank_within_unit_class(county: County, adopted: Callable[..., Item]) -> None:
    score(adopted("甲", officer=county.officer_a), 3)
    score(adopted("乙", officer=county.officer_b), 9)
    rank_a = queries.officer_class_rank(county.officer_a, 2026)
    rank_b = queries.officer_class_rank(county.officer_b, 2026)
    assert rank_a is not None and rank_b is not None
    # Townships of the county: officer_a, officer_a2 and officer_b.
    assert (rank_b.rank, rank_a.rank, rank_a.of) == (1, 2, 3)


def test_portfolio_shows_items_adoptions_instructions_training_and_history(
    county: County, adopted: Callable[..., Item]
) -> None:
    item = adopted("甲镇党建引领基层治理")
    ExternalAdoption.objects.create(
        item=item, level="city", outlet="澜江组工", adopted_on=DAY, recorded_by=county.editor
    )
    Instruction.objects.create(
        item=item,
        level="county",
        leader_title="县委书记",
        instructed_on=DAY,
        text="很好",
        recorded_by=county.editor,
    )
    session = services.training_create(actor=county.editor, held_on=DAY, topic="写作培训")
    services.attendance_record(
        actor=county.editor, session=session, marks={county.officer_a.pk: "present"}
    )
    services.officer_rank_change(
        actor=county.editor, officer=county.officer_a, rank="regular", occurred_on=DAY
    )
    text = (
        client_for(county.leader_a)
        .get(reverse("orgs:portfolio", args=[county.officer_a.pk]))
        .content.decode()
    )
    for expected in ("甲镇党建引领基层治理", "澜江组工", "县委书记", "写作培训", "类别调整"):
        assert expected in text


def test_portfolio_shows_editor_changes_as_diff(county: County) -> None:
    edited_and_adopted(county, "原题")
    text = (
        client_for(county.officer_a)
        .get(reverse("orgs:portfolio", args=[county.officer_a.pk]))
        .content.decode()
    )
    changes = text.split("编辑的修改")[1]
    assert "<del>原来</del>" in changes and "<ins>改过</ins>" in changes
    assert "<ins>(改)</ins>" in changes


def test_portfolio_lists_only_items_the_viewer_may_see(county: County) -> None:
    make_item(officer=county.officer_a, title="还在草稿")
    officer_view = client_for(county.officer_a).get(
        reverse("orgs:portfolio", args=[county.officer_a.pk])
    )
    editor_view = client_for(county.editor).get(
        reverse("orgs:portfolio", args=[county.officer_a.pk])
    )
    assert "还在草稿" in officer_view.content.decode()
    assert "还在草稿" not in editor_view.content.decode()


def test_departed_officer_keeps_portfolio_for_department(
    county: County, adopted: Callable[..., Item]
) -> None:
    adopted("离任前写的")
    services.officer_leave(actor=county.editor, officer=county.officer_a, occurred_on=DAY)
    text = (
        client_for(county.editor)
        .get(reverse("orgs:portfolio", args=[county.officer_a.pk]))
        .content.decode()
    )
    assert "离任前写的" in text and "已离任" in text


def test_compare_table_officer_by_year(county: County, adopted: Callable[..., Item]) -> None:
    score(adopted("甲", officer=county.officer_a), 4, year=2025)
    score(adopted("乙", officer=county.officer_b), 7, year=2026, level="city")
    rows = queries.officer_comparison(county.dept, [2025, 2026])
    assert [r.officer for r in rows][:2] == [county.officer_b, county.officer_a]
    b = rows[0].by_year
    assert (b[0].points, b[1].points, b[1].high_level) == (0, 7, 1)
    page = client_for(county.dept_leader).get(
        reverse("orgs:compare"), {"year": "2026", "span": "2"}
    )
    assert page.status_code == 200 and "7 / 1 / 1" in page.content.decode()
    assert client_for(county.officer_a).get(reverse("orgs:compare")).status_code == 404


def test_certificate_docx_opens_and_names_officer_year_department(county: County) -> None:
    from docx import Document

    data = certificate_docx(county.officer_a, 2026, county.dept, datetime.date(2026, 12, 28))
    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "荣誉证书" in text
    assert county.officer_a.display_name in text and "2026年度" in text and "优秀信息员" in text
    assert county.dept.name in text and "2026年12月28日" in text
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.top_margin.mm) == 37
    title = next(p for p in document.paragraphs if p.text == "荣誉证书")
    fonts = title.runs[0]._element.rPr.rFonts
    assert (
        fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "方正小标宋简体"
    )


def test_certificate_download_for_department_only(county: County) -> None:
    url = reverse("orgs:certificate", args=[county.officer_a.pk])
    response = client_for(county.dept_leader).get(url, {"year": "2026"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"
    for user in (county.officer_a, county.leader_a, county.other_editor):
        assert client_for(user).get(url).status_code == 404


def edited_and_adopted(county: County, title: str) -> Item:
    """An item of officer A that the editor edited before adopting it."""
    item = make_item(officer=county.officer_a, title=title, body="原来的正文。")
    transition(item=item, actor=county.officer_a, action="submit")
    item.refresh_from_db()
    item = item_update(
        item=item,
        actor=county.editor,
        data=ItemData(title=f"{title}(改)", body="改过的正文。", category=item.category),
        version=item.version,
    )
    return transition(item=item, actor=county.editor, action="adopt")


def _grow(county: County, n: int) -> None:
    for i in range(n):
        item = edited_and_adopted(county, f"新信息{i}")
        score(item, 2)
        ExternalAdoption.objects.create(
            item=item, level="city", outlet="澜江组工", adopted_on=DAY, recorded_by=county.editor
        )
        Instruction.objects.create(
            item=item,
            level="county",
            leader_title="县长",
            instructed_on=DAY,
            text="阅",
            recorded_by=county.editor,
        )
        session = services.training_create(actor=county.editor, held_on=DAY, topic=f"培训{i}")
        services.attendance_record(
            actor=county.editor, session=session, marks={county.officer_a.pk: "present"}
        )
        current = User.objects.get(pk=county.officer_a.pk).officer_rank
        services.officer_rank_change(
            actor=county.editor,
            officer=county.officer_a,
            rank="regular" if current == "primary" else "primary",
            occurred_on=DAY,
        )
        make_user(role=Role.OFFICER, unit=county.town_a)


def test_portfolio_query_count_is_constant(
    county: County, adopted: Callable[..., Item], django_assert_num_queries: Any
) -> None:
    client = client_for(county.editor)
    url = reverse("orgs:portfolio", args=[county.officer_a.pk])
    client.get(url)
    _grow(county, 1)
    expected = count_queries(client, url)
    _grow(county, 4)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_compare_query_count_is_constant(
    county: County, adopted: Callable[..., Item], django_assert_num_queries: Any
) -> None:
    client = client_for(county.dept_leader)
    url = reverse("orgs:compare")
    client.get(url)
    _grow(county, 1)
    expected = count_queries(client, url)
    _grow(county, 3)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
