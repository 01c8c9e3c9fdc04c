"""Training sessions, materials, attendance, an officer's record, units that missed training;
the exemplary library: who may choose, what others see, search."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import County
from tests.factories import make_item, make_unit, make_user, png_bytes
from tests.orgs.conftest import client_for
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Category, Item
from xinbao.orgs import queries, services
from xinbao.orgs.models import Attendance, ExemplaryItem, Role, TrainingSession

DAY = datetime.date(2026, 4, 10)


@pytest.fixture
def session(county: County) -> TrainingSession:
    return services.training_create(
        actor=county.editor, held_on=DAY, topic="信息写作培训", trainer="张老师", place="县委党校"
    )


def test_only_department_editor_creates_training(county: County) -> None:
    for actor in (county.dept_leader, county.officer_a, county.sysadmin):
        with pytest.raises(NotAllowed):
            services.training_create(actor=actor, held_on=DAY, topic="x")
    assert not TrainingSession.objects.exists()


def test_material_file_is_checked_like_an_attachment(
    county: County, session: TrainingSession
) -> None:
    with pytest.raises(InvalidInput):
        services.training_material_add(
            actor=county.editor,
            session=session,
            title="讲义",
            upload=SimpleUploadedFile("a.exe", b"MZ\x90\x00 not a document"),
        )
    material = services.training_material_add(
        actor=county.editor,
        session=session,
        title="",
        upload=SimpleUploadedFile("../../课件.png", png_bytes()),
    )
    assert (material.original_name, material.content_type) == ("课件.png", "image/png")
    link = services.training_material_add(
        actor=county.editor, session=session, title="视频", url="https://example.org/v"
    )
    assert session.materials.count() == 2 and link.url


def test_material_download_is_404_outside_department(
    county: County, session: TrainingSession
) -> None:
    material = services.training_material_add(
        actor=county.editor,
        session=session,
        title="课件",
        upload=SimpleUploadedFile("课件.png", png_bytes()),
    )
    url = reverse("orgs:training_material", args=[session.pk, material.pk])
    assert client_for(county.officer_b).get(url).status_code == 200
    assert client_for(county.other_editor).get(url).status_code == 404
    assert client_for(county.sysadmin).get(url).status_code == 404


def test_attendance_and_officer_training_record(county: County, session: TrainingSession) -> None:
    services.attendance_record(
        actor=county.editor,
        session=session,
        marks={county.officer_a.pk: "present", county.officer_b.pk: "absent"},
    )
    later = services.training_create(actor=county.editor, held_on=DAY.replace(month=6), topic="二")
    services.attendance_record(
        actor=county.editor, session=later, marks={county.officer_a.pk: "excused"}
    )
    record = queries.training_record(county.officer_a)
    assert [(r.session.topic, r.status) for r in record] == [
        ("二", "excused"),
        ("信息写作培训", "present"),
    ]
    # Correcting a mark replaces it.
    services.attendance_record(
        actor=county.editor, session=session, marks={county.officer_b.pk: "excused"}
    )
    assert Attendance.objects.get(session=session, officer=county.officer_b).status == "excused"


def test_attendance_refuses_officers_of_other_departments(
    county: County, session: TrainingSession
) -> None:
    with pytest.raises(InvalidInput):
        services.attendance_record(
            actor=county.editor, session=session, marks={county.other_officer.pk: "present"}
        )
    assert not Attendance.objects.exists()


def test_units_missing_training_in_period(county: County, session: TrainingSession) -> None:
    town_c = make_unit(name="丙镇", parent=county.dept)
    officer_c = make_user(role=Role.OFFICER, unit=town_c)
    services.attendance_record(
        actor=county.editor,
        session=session,
        marks={
            county.officer_a.pk: "present",
            county.officer_a2.pk: "excused",
            county.officer_b.pk: "absent",
            officer_c.pk: "absent",
        },
    )
    other = services.training_create(actor=county.editor, held_on=DAY.replace(month=9), topic="秋")
    services.attendance_record(actor=county.editor, session=other, marks={officer_c.pk: "absent"})
    rows = queries.units_missing_training(county.dept, datetime.date(2026, 1, 1), DAY)
    # Equal absences: tree order (乙镇 was created first).
    assert [(r.unit_name, r.absent) for r in rows] == [("乙镇", 1), ("丙镇", 1)]
    year = queries.units_missing_training(
        county.dept, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    )
    assert (year[0].unit_name, year[0].absent, year[0].sessions) == ("丙镇", 2, 2)
    assert "甲镇" not in {r.unit_name for r in year}  # excused is not missed
    page = client_for(county.dept_leader).get(
        reverse("orgs:training_missed"), {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    assert "丙镇" in page.content.decode()


def test_attendance_keeps_unit_of_the_day_after_a_move(
    county: County, session: TrainingSession
) -> None:
    services.attendance_record(
        actor=county.editor, session=session, marks={county.officer_b.pk: "absent"}
    )
    services.officer_move(
        actor=county.editor, officer=county.officer_b, to_unit=county.town_a, occurred_on=DAY
    )
    rows = queries.units_missing_training(county.dept, DAY, DAY)
    assert [r.unit_name for r in rows] == ["乙镇"]


def test_training_page_attendance_form_records_marks(
    county: County, session: TrainingSession
) -> None:
    client = client_for(county.editor)
    url = reverse("orgs:training", args=[session.pk])
    response = client.post(
        url, {"action": "attendance", f"status_{county.officer_a.pk}": "present"}
    )
    assert response.status_code == 302
    assert Attendance.objects.get(officer=county.officer_a).status == "present"
    # the officer may open the page, not post to it (role_matrix.toml: 405)
    assert client_for(county.officer_a).post(url, {"action": "attendance"}).status_code == 405


# --- exemplary items --------------------------------------------------------------------------


def test_editor_chooses_adopted_item_with_commentary(
    county: County, adopted: Callable[..., Item]
) -> None:
    item = adopted("甲镇推行党员积分管理")
    exemplary = services.exemplary_choose(
        actor=county.editor, item=item, commentary="角度新,数据实。"
    )
    assert (exemplary.title, exemplary.category, exemplary.unit_name) == (
        "甲镇推行党员积分管理",
        item.category,
        "甲镇",
    )


def test_choose_refuses_unadopted_internal_and_other_roles(
    county: County, adopted: Callable[..., Item]
) -> None:
    draft = make_item(officer=county.officer_a)
    with pytest.raises(InvalidInput):
        services.exemplary_choose(actor=county.editor, item=draft, commentary="好")
    internal = adopted("内部情况", is_internal=True)
    with pytest.raises(InvalidInput):
        services.exemplary_choose(actor=county.editor, item=internal, commentary="好")
    item = adopted()
    for actor in (county.dept_leader, county.other_editor, county.officer_a):
        with pytest.raises(NotAllowed):
            services.exemplary_choose(actor=actor, item=item, commentary="好")
    with pytest.raises(InvalidInput):
        services.exemplary_choose(actor=county.editor, item=item, commentary="  ")
    assert not ExemplaryItem.objects.exists()


def test_exemplary_shows_published_text_not_later_drafts(
    county: County, adopted: Callable[..., Item]
) -> None:
    from xinbao.publishing.models import IssueEntry, Publication, PublicationIssue

    item = adopted("原标题", body="原稿正文。")
    publication = Publication.objects.create(
        department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
    )
    issue = PublicationIssue.objects.create(
        publication=publication, state=PublicationIssue.State.PUBLISHED, created_by=county.editor
    )
    IssueEntry.objects.create(issue=issue, item=item, headline="刊发标题", text="刊发正文。")
    exemplary = services.exemplary_choose(actor=county.editor, item=item, commentary="好")
    Item.objects.filter(pk=item.pk).update(body="后来改动的正文")
    body = client_for(county.officer_b).get(reverse("orgs:exemplary", args=[exemplary.pk]))
    text = body.content.decode()
    assert "刊发正文" in text and "刊发标题" in text and "后来改动" not in text


def test_exemplary_readable_by_other_units_of_same_department_only(
    county: County, adopted: Callable[..., Item]
) -> None:
    exemplary = services.exemplary_choose(actor=county.editor, item=adopted(), commentary="好")
    url = reverse("orgs:exemplary", args=[exemplary.pk])
    for user in (county.officer_b, county.leader_b, county.dept_leader, county.officer_a):
        assert client_for(user).get(url).status_code == 200
    for user in (county.other_officer, county.other_editor, county.sysadmin):
        assert client_for(user).get(url).status_code == 404
    # The item behind it stays out of reach of the other unit.
    item_url = reverse("items:detail", args=[exemplary.item_id])
    assert client_for(county.officer_b).get(item_url).status_code == 404


def test_exemplary_search_by_category_and_keyword(
    county: County, adopted: Callable[..., Item]
) -> None:
    experience = Category.objects.get(name="经验做法")
    a = services.exemplary_choose(
        actor=county.editor,
        item=adopted("党员积分管理见实效", category=experience),
        commentary="好",
    )
    services.exemplary_choose(actor=county.editor, item=adopted("村级组织换届"), commentary="新")
    found = queries.exemplary_search(county.officer_b, category_id=experience.pk)
    assert list(found) == [a]
    assert list(queries.exemplary_search(county.officer_b, keywords="積分")) == [a]  # Traditional
    assert list(queries.exemplary_search(county.officer_b, keywords="积分 换届")) == []
    page = client_for(county.officer_b).get(reverse("orgs:exemplary_list"), {"q": "换届"})
    text = page.content.decode()
    assert "村级组织换届" in text and "党员积分管理见实效" not in text


def test_choose_page_with_unknown_item_keeps_commentary(county: County) -> None:
    response = client_for(county.editor).post(
        reverse("orgs:exemplary_list"), {"item_id": "999999", "commentary": "我的点评"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "本部门没有这个编号的信息" in text and "我的点评" in text
