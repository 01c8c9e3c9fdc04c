"""The officer-team API: the roster masked per role, the portfolio's scope, training."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_item
from xinbao.items.services import transition
from xinbao.orgs import services
from xinbao.orgs.models import User

DAY = datetime.date(2026, 4, 10)


def with_phone(officer: User, phone: str = "13812341234") -> None:
    officer.set_contact_phone(phone)
    officer.save()


def test_officers_masked_for_officers_full_for_editor_and_unit_leader(
    county: County, api: Callable[[User | None], ApiClient]
) -> None:
    with_phone(county.officer_a)
    for user, expected in (
        (county.editor, "13812341234"),
        (county.leader_a, "13812341234"),
        (county.officer_a2, "138****1234"),
    ):
        response = api(user).get("/officers")
        assert response.status_code == 200
        phones = {o["username"]: o["phone"] for o in response.json()["items"]}
        assert phones["off_a"] == expected


def test_officers_scope_unit_roles_to_own_unit(
    county: County, api: Callable[[User | None], ApiClient]
) -> None:
    names = {o["username"] for o in api(county.officer_b).get("/officers").json()["items"]}
    assert names == {"off_b"}
    dept = {o["username"] for o in api(county.editor).get("/officers").json()["items"]}
    assert dept == {"off_a", "off_a2", "off_b"}
    assert api(county.sysadmin).get("/officers").json()["items"] == []


def test_departed_officers_only_on_request(
    county: County, api: Callable[[User | None], ApiClient]
) -> None:
    services.officer_leave(actor=county.editor, officer=county.officer_a2, occurred_on=DAY)
    client = api(county.editor)
    assert "off_a2" not in {o["username"] for o in client.get("/officers").json()["items"]}
    rows = client.get("/officers", {"include_left": "true"}).json()["items"]
    assert {o["username"]: o["is_active"] for o in rows}["off_a2"] is False


def test_portfolio_scope_and_contents(
    county: County, api: Callable[[User | None], ApiClient]
) -> None:
    item = make_item(officer=county.officer_a, title="甲镇的信息")
    transition(item=item, actor=county.officer_a, action="submit")
    session = services.training_create(actor=county.editor, held_on=DAY, topic="培训一")
    services.attendance_record(
        actor=county.editor, session=session, marks={county.officer_a.pk: "absent"}
    )
    path = f"/officers/{county.officer_a.pk}/portfolio"
    body = api(county.leader_a).get(path, {"year": 2026}).json()
    assert [i["title"] for i in body["items"]] == ["甲镇的信息"]
    assert [y["year"] for y in body["years"]] == [2024, 2025, 2026]
    assert body["training"][0]["status"] == "absent"
    for user in (county.officer_a2, county.leader_b, county.other_editor, county.sysadmin):
        assert api(user).get(path).status_code == 404


def test_trainings_list_for_department(
    county: County, api: Callable[[User | None], ApiClient]
) -> None:
    session = services.training_create(actor=county.editor, held_on=DAY, topic="培训一")
    services.attendance_record(
        actor=county.editor,
        session=session,
        marks={county.officer_a.pk: "present", county.officer_b.pk: "absent"},
    )
    rows = api(county.officer_a).get("/trainings").json()["items"]
    assert [(r["topic"], r["present"], r["absent"]) for r in rows] == [("培训一", 1, 1)]
    assert api(county.other_editor).get("/trainings").json()["items"] == []
