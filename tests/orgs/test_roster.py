"""The officer roster: appointments, moves, rank changes and leaving, each with a history line
and an audit record; units lacking officers; phone masking; query counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.conftest import County
from tests.factories import make_item, make_unit, make_user
from tests.orgs.conftest import client_for, count_queries
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.orgs import services
from xinbao.orgs.models import OfficerEvent, Role, User
from xinbao.orgs.permissions import masked_phone

DAY = datetime.date(2026, 3, 1)


def test_appoint_sets_post_phone_date_and_writes_history_and_audit(county: County) -> None:
    services.officer_appoint(
        actor=county.editor,
        officer=county.officer_a,
        unit=county.town_a,
        rank=User.OfficerRank.PRIMARY,
        post="党政办干事",
        appointed_on=DAY,
        phone="13812341234",
    )
    officer = User.objects.get(pk=county.officer_a.pk)
    assert (officer.post, officer.contact_phone, officer.appointed_on) == (
        "党政办干事",
        "13812341234",
        DAY,
    )
    event = OfficerEvent.objects.get(officer=officer)
    assert (event.kind, event.unit, event.rank) == ("appointed", county.town_a, "primary")
    assert AuditRecord.objects.filter(
        action="officer.appointed", object_id=str(officer.pk)
    ).exists()


def test_each_move_appends_history_with_both_units(county: County) -> None:
    services.officer_move(
        actor=county.editor, officer=county.officer_a, to_unit=county.town_b, occurred_on=DAY
    )
    services.officer_move(
        actor=county.editor,
        officer=county.officer_a,
        to_unit=county.town_a,
        occurred_on=DAY + datetime.timedelta(days=30),
    )
    events = list(OfficerEvent.objects.filter(officer=county.officer_a).order_by("id"))
    assert [(e.kind, e.from_unit, e.unit) for e in events] == [
        ("moved", county.town_a, county.town_b),
        ("moved", county.town_b, county.town_a),
    ]
    assert AuditRecord.objects.filter(action="officer.moved").count() == 2


def test_rank_change_records_old_and_new_rank(county: County) -> None:
    services.officer_rank_change(
        actor=county.editor,
        officer=county.officer_a2,
        rank=User.OfficerRank.REGULAR,
        occurred_on=DAY,
        post="组织干事",
    )
    event = OfficerEvent.objects.get(officer=county.officer_a2)
    assert (event.kind, event.from_rank, event.rank, event.post) == (
        "rank_changed",
        "backup",
        "regular",
        "组织干事",
    )


def test_history_is_append_only(county: County) -> None:
    event = services.officer_leave(actor=county.editor, officer=county.officer_a, occurred_on=DAY)
    event.note = "改写"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()


def test_leaving_deactivates_and_keeps_items_with_unit_and_history_with_officer(
    county: County,
) -> None:
    item = make_item(officer=county.officer_a)
    services.officer_appoint(
        actor=county.editor,
        officer=county.officer_a,
        unit=county.town_a,
        rank="primary",
        post="",
        appointed_on=DAY,
    )
    services.officer_leave(
        actor=county.editor, officer=county.officer_a, occurred_on=DAY, note="调离"
    )
    officer = User.objects.get(pk=county.officer_a.pk)
    assert officer.is_active is False
    item.refresh_from_db()
    assert item.unit == county.town_a and item.created_by == officer
    assert list(officer.officer_events.values_list("kind", flat=True).order_by("id")) == [
        "appointed",
        "left",
    ]
    # Other officers of the unit still see the item.
    assert (
        client_for(county.officer_a2).get(reverse("items:detail", args=[item.pk])).status_code
        == 200
    )


def test_move_leaves_items_with_old_unit(county: County) -> None:
    item = make_item(officer=county.officer_a)
    services.officer_move(
        actor=county.editor, officer=county.officer_a, to_unit=county.town_b, occurred_on=DAY
    )
    item.refresh_from_db()
    assert item.unit == county.town_a


@pytest.mark.parametrize("who", ["dept_leader", "leader_a", "officer_a2", "other_editor"])
def test_only_editors_appoint_or_change_rank(county: County, who: str) -> None:
    actor = getattr(county, who)
    with pytest.raises(NotAllowed):
        services.officer_rank_change(
            actor=actor, officer=county.officer_a, rank="backup", occurred_on=DAY
        )
    assert not OfficerEvent.objects.exists()


def test_r13_administrators_hold_no_roster_duty(county: County) -> None:
    """三员分立: the system administrator keeps accounts in the admin site; appointing, moving
    and recording leaving are the department editors' business."""
    secadmin = make_user(role=Role.SECADMIN)
    for admin in (county.sysadmin, secadmin):
        with pytest.raises(NotAllowed):
            services.officer_appoint(
                actor=admin,
                officer=county.officer_a,
                unit=county.town_a,
                rank="primary",
                post="",
                appointed_on=DAY,
            )
        with pytest.raises(NotAllowed):
            services.officer_move(
                actor=admin, officer=county.officer_a, to_unit=county.town_b, occurred_on=DAY
            )
        with pytest.raises(NotAllowed):
            services.officer_leave(actor=admin, officer=county.officer_a, occurred_on=DAY)
    assert not OfficerEvent.objects.exists()
    assert User.objects.get(pk=county.officer_a.pk).is_active
    services.officer_leave(actor=county.editor, officer=county.officer_a, occurred_on=DAY)
    assert OfficerEvent.objects.get().recorded_by == county.editor


def test_editor_cannot_move_officer_into_another_department(county: County) -> None:
    other_town = county.other_officer.home_unit
    with pytest.raises(NotAllowed):
        services.officer_move(
            actor=county.editor, officer=county.officer_a, to_unit=other_town, occurred_on=DAY
        )
    assert User.objects.get(pk=county.officer_a.pk).unit == county.town_a


def test_refused_move_to_same_unit_changes_nothing(county: County) -> None:
    with pytest.raises(InvalidInput):
        services.officer_move(
            actor=county.editor, officer=county.officer_a, to_unit=county.town_a, occurred_on=DAY
        )
    assert not OfficerEvent.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="officer.").exists()


def test_units_without_officer_or_backup_are_listed(county: County) -> None:
    from xinbao.orgs.queries import units_lacking_officers

    empty = make_unit(name="丁镇", parent=county.dept)
    lacking = {u.name: (u.active_officers, u.backups) for u in units_lacking_officers(county.dept)}
    # 甲镇 has a primary and a backup; 乙镇 only a primary; 丁镇 nobody.
    assert lacking == {"乙镇": (1, 0), "丁镇": (0, 0)}
    services.officer_leave(actor=county.editor, officer=county.officer_a2, occurred_on=DAY)
    lacking_after = {u.name for u in units_lacking_officers(county.dept)}
    assert lacking_after == {"甲镇", "乙镇", empty.name}


def test_masked_phone_shape() -> None:
    assert masked_phone("13812341234") == "138****1234"
    assert masked_phone("") == ""
    assert masked_phone("12345") == "****5"


@pytest.mark.parametrize(
    ("who", "full"),
    [
        ("editor", True),
        ("dept_leader", True),
        ("leader_a", True),
        ("officer_a2", False),
        ("officer_a", False),
    ],
)
def test_unit_roster_masks_phone_except_for_department_and_unit_leader(
    county: County, who: str, full: bool
) -> None:
    officer = county.officer_a
    officer.set_contact_phone("13812341234")
    officer.save()
    body = (
        client_for(getattr(county, who))
        .get(reverse("orgs:unit_roster", args=[county.town_a.pk]))
        .content.decode()
    )
    assert ("13812341234" in body) is full
    assert ("138****1234" in body) is not full


@pytest.mark.parametrize("who", ["leader_b", "officer_b", "other_editor", "sysadmin"])
def test_unit_roster_is_404_outside_unit_and_department(county: County, who: str) -> None:
    response = client_for(getattr(county, who)).get(
        reverse("orgs:unit_roster", args=[county.town_a.pk])
    )
    assert response.status_code == 404


def test_department_roster_filters_by_unit_class(county: County) -> None:
    bureau = make_unit(name="县教育局", kind="department", parent=county.dept)
    make_user(role=Role.OFFICER, unit=bureau, full_name="教育局信息员")
    client = client_for(county.editor)
    body = client.get(reverse("orgs:roster"), {"kind": "department"}).content.decode()
    roster_part = body.split('id="roster"')[1]
    assert "县教育局" in roster_part and "甲镇" not in roster_part


def test_department_roster_is_404_for_unit_roles_and_admins(county: County) -> None:
    for user in (county.officer_a, county.leader_a, county.sysadmin):
        assert client_for(user).get(reverse("orgs:roster")).status_code == 404


def test_manage_page_moves_officer_and_bad_input_keeps_everything(county: County) -> None:
    client = client_for(county.editor)
    url = reverse("orgs:officer_manage", args=[county.officer_a.pk])
    bad = client.post(url, {"action": "move", "to_unit": "", "occurred_on": "昨天", "note": "x"})
    assert bad.status_code == 400
    assert "x" in bad.content.decode()  # the typed note is kept
    assert not OfficerEvent.objects.exists()
    ok = client.post(
        url, {"action": "move", "to_unit": county.town_b.pk, "occurred_on": "2026-03-01"}
    )
    assert ok.status_code == 302
    assert User.objects.get(pk=county.officer_a.pk).unit == county.town_b


def test_manage_page_is_404_for_other_department_editor(county: County) -> None:
    url = reverse("orgs:officer_manage", args=[county.officer_a.pk])
    assert client_for(county.other_editor).get(url).status_code == 404
    # 三员分立: the system administrator holds no business page (role_matrix.toml)
    assert client_for(county.sysadmin).get(url).status_code == 404


def test_appoint_page_with_unknown_account_says_so(county: County) -> None:
    client = client_for(county.editor)
    response = client.post(
        reverse("orgs:officer_appoint", args=[county.town_b.pk]),
        {"username": "nobody", "rank": "backup", "appointed_on": "2026-03-01"},
    )
    assert response.status_code == 400
    assert "没有这个账号" in response.content.decode()


def _grow(county: County, n: int) -> None:
    for i in range(n):
        unit = make_unit(name=f"新镇{i}", parent=county.dept)
        make_user(role=Role.OFFICER, unit=unit)
        make_user(role=Role.OFFICER, unit=unit, officer_rank="backup")


def test_department_roster_query_count_is_constant(
    county: County, django_assert_num_queries: Any
) -> None:
    client = client_for(county.editor)
    url = reverse("orgs:roster")
    client.get(url)  # warm the session
    _grow(county, 1)
    expected = count_queries(client, url)
    _grow(county, 6)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_unit_roster_query_count_is_constant(
    county: County, django_assert_num_queries: Any
) -> None:
    client = client_for(county.editor)
    url = reverse("orgs:unit_roster", args=[county.town_a.pk])
    client.get(url)

    def grow(n: int) -> None:
        for _ in range(n):
            officer = make_user(role=Role.OFFICER, unit=county.town_a)
            services.officer_rank_change(
                actor=county.editor, officer=officer, rank="backup", occurred_on=DAY
            )

    grow(1)
    expected = count_queries(client, url)
    grow(5)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
