"""Who reaches which item, in which state, and which pages each role may open.

``MATRIX`` and ``PAGES`` below are written out by hand from the specification (issue 3),
independently of ``items/permissions.py`` and the views: a test fails when the code and the
table disagree in either direction. Out of scope always answers 404, never 403, so ids cannot be
probed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.http import Http404
from django.test import Client

from tests.conftest import County
from tests.factories import make_attachment, make_item, make_user, put_in_state
from xinbao.audit.models import AuditRecord
from xinbao.items import permissions
from xinbao.items.errors import NotAllowed
from xinbao.items.models import Item, State
from xinbao.items.queries import access_item, items_visible_to
from xinbao.items.services import ItemData, item_update
from xinbao.orgs.models import Role, User

# One item of 甲镇 in each state (columns) against each person (rows), named by what they are
# to that item. "w": sees it and may change its text; "r": sees it, read only; "-": out of scope.
MATRIX_TEXT = """
                      draft  pending_signoff  submitted  in_review  returned  resubmitted  adopted  declined  archived
officer               w      r                r          r          w         r            r        r         r
backup_officer        w      r                r          r          w         r            r        r         r
other_unit_officer    -      -                -          -          -         -            -        -         -
unit_leader           -      r                r          r          r         r            r        r         r
other_unit_leader     -      -                -          -          -         -            -        -         -
editor                -      -                w          w          r         w            r        r         r
other_county_editor   -      -                -          -          -         -            -        -         -
dept_leader           -      -                r          r          r         r            r        r         r
other_county_officer  -      -                -          -          -         -            -        -         -
sysadmin              -      -                -          -          -         -            -        -         -
"""  # noqa: E501 - a table reads best on one line per row


def parse_matrix(text: str) -> dict[tuple[str, State], str]:
    header, *rows = (line.split() for line in text.strip().splitlines())
    states = [State(name) for name in header]
    return {
        (row[0], state): cell for row in rows for state, cell in zip(states, row[1:], strict=True)
    }


MATRIX = parse_matrix(MATRIX_TEXT)
WHO = sorted({who for who, _state in MATRIX})


def people_of(county: County, own: str) -> dict[str, User]:
    """The people of the county by what they are to an item of ``own`` ("a" or "b")."""
    a = own == "a"
    people = {
        "officer": county.officer_a if a else county.officer_b,
        "other_unit_officer": county.officer_b if a else county.officer_a,
        "unit_leader": county.leader_a if a else county.leader_b,
        "other_unit_leader": county.leader_b if a else county.leader_a,
        "editor": county.editor,
        "other_county_editor": county.other_editor,
        "dept_leader": county.dept_leader,
        "other_county_officer": county.other_officer,
        "sysadmin": county.sysadmin,
    }
    if a:
        people["backup_officer"] = county.officer_a2
    return people


def test_matrix_covers_every_state_and_person() -> None:
    assert {state for _who, state in MATRIX} == set(State)
    assert len(WHO) == 10
    assert set(MATRIX.values()) <= {"w", "r", "-"}


@pytest.mark.parametrize("state", list(State))
def test_access_item_and_edit_rights_follow_the_matrix(county: County, state: State) -> None:
    item = put_in_state(make_item(officer=county.officer_a), state)
    failures: list[str] = []
    for who, person in people_of(county, "a").items():
        expected = MATRIX[(who, state)]
        try:
            found = access_item(person, item.pk)
        except Http404:
            found = None
        if (found is not None) != (expected != "-"):
            failures.append(f"{who}/{state}: access_item gave {found}, expected {expected}")
        if permissions.can_see(person, item) != (expected != "-"):
            failures.append(f"{who}/{state}: can_see disagrees")
        if permissions.can_edit(person, item) != (expected == "w"):
            failures.append(f"{who}/{state}: can_edit disagrees")
    assert failures == []


@pytest.mark.parametrize("state", list(State))
def test_item_update_saves_only_where_the_matrix_says_w(county: County, state: State) -> None:
    item = put_in_state(make_item(officer=county.officer_a, title="原标题"), state)
    failures: list[str] = []
    for who, person in people_of(county, "a").items():
        expected = MATRIX[(who, state)]
        item = put_in_state(item, state)
        audits = AuditRecord.objects.count()
        data = ItemData(title=f"{who}改的标题", body=item.body, category=item.category)
        try:
            item_update(item=item, actor=person, data=data, version=item.version)
        except NotAllowed as error:
            if expected == "w":
                failures.append(f"{who}/{state}: refused ({error})")
            item.refresh_from_db()
            if item.title != "原标题" or AuditRecord.objects.count() != audits:
                failures.append(f"{who}/{state}: refused save changed something")
            continue
        if expected != "w":
            failures.append(f"{who}/{state}: saved, expected refusal")
        item.refresh_from_db()
        if item.title != f"{who}改的标题":
            failures.append(f"{who}/{state}: save lost")
        Item.objects.filter(pk=item.pk).update(title="原标题")
        item.refresh_from_db()
    assert failures == []


def test_items_visible_to_is_exactly_the_matrix(county: County) -> None:
    """One item per state in each township (甲镇 without, 乙镇 with sign-off): every person's
    visible set is the union of what the matrix gives them in each township."""
    items = {
        (town, state): put_in_state(
            make_item(officer=county.officer_a if town == "a" else county.officer_b), state
        )
        for town in ("a", "b")
        for state in State
    }
    everyone = {p.pk: p for town in ("a", "b") for p in people_of(county, town).values()}
    failures: list[str] = []
    for person in everyone.values():
        expected: set[int] = set()
        for town in ("a", "b"):
            as_what = {p.pk: who for who, p in people_of(county, town).items()}
            who = as_what.get(person.pk)
            if who is None:  # the backup officer of 甲镇 is another unit's officer to 乙镇
                who = "other_unit_officer"
            expected |= {
                item.pk
                for (t, state), item in items.items()
                if t == town and MATRIX[(who, state)] != "-"
            }
        got = set(items_visible_to(person).values_list("pk", flat=True))
        if got != expected:
            failures.append(f"{person.username}: sees {sorted(got)}, expected {sorted(expected)}")
    assert failures == []


def test_inactive_user_sees_nothing(county: County) -> None:
    item = make_item(officer=county.officer_a)
    county.officer_a.is_active = False
    county.officer_a.save()
    assert not items_visible_to(county.officer_a).exists()
    with pytest.raises(Http404):
        access_item(county.officer_a, item.pk)


@pytest.mark.parametrize("pk", [999999, "999999", "abc", "", "1.5", None])
def test_access_item_with_unknown_or_malformed_id_is_404(county: County, pk: object) -> None:
    make_item(officer=county.officer_a)
    with pytest.raises(Http404):
        access_item(county.officer_a, pk)  # type: ignore[arg-type]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("state", list(State))
def test_item_pages_follow_the_matrix(county: County, media_root: Path, state: State) -> None:
    item = make_item(officer=county.officer_a, title="原标题")
    attachment = make_attachment(item=item)
    item = put_in_state(item, state)
    detail = f"/items/{item.pk}/"
    failures: list[str] = []
    for who, person in people_of(county, "a").items():
        expected = MATRIX[(who, state)]
        client = client_for(person)
        in_scope = expected != "-"
        got = client.get(detail).status_code
        if got != (200 if in_scope else 404):
            failures.append(f"{who}/{state}: detail answered {got}")
        response = client.get(f"{detail}edit/")
        want = {"w": 200, "r": 302, "-": 404}[expected]
        if response.status_code != want:
            failures.append(f"{who}/{state}: edit page answered {response.status_code}")
        if expected == "r" and response.headers.get("Location") != detail:
            failures.append(f"{who}/{state}: read-only edit did not redirect to the detail page")
        response = client.post(
            f"{detail}edit/",
            {
                "title": "越权改的标题",
                "body": item.body,
                "category": item.category_id,
                "urgency": 0,
                "version": item.version,
            },
        )
        if expected != "w" and response.status_code != (404 if expected == "-" else 302):
            failures.append(f"{who}/{state}: edit POST answered {response.status_code}")
        response = client.get(f"{detail}attachments/{attachment.pk}/")
        if response.status_code != (200 if in_scope else 404):
            failures.append(f"{who}/{state}: download answered {response.status_code}")
        if in_scope and response.content != attachment.file.open().read():
            failures.append(f"{who}/{state}: download gave other bytes")
        attachment.file.close()
        got = client.post(f"{detail}move/", {"action": "publish"}).status_code
        if got != (409 if in_scope else 404):
            failures.append(f"{who}/{state}: unknown move answered {got}")
        got = client.post(f"{detail}attachments/", {}).status_code
        if got != (302 if in_scope else 404):
            failures.append(f"{who}/{state}: attach answered {got}")
        item.refresh_from_db()
        if expected != "w" and item.title != "原标题":
            failures.append(f"{who}/{state}: an edit POST without rights changed the title")
        Item.objects.filter(pk=item.pk).update(title="原标题", state=state)
        item.refresh_from_db()
    assert failures == []


def test_download_of_another_items_attachment_through_own_item_is_404(
    county: County, media_root: Path
) -> None:
    mine = make_item(officer=county.officer_a)
    theirs = make_item(officer=county.officer_b)
    attachment = make_attachment(item=theirs)
    response = client_for(county.officer_a).get(f"/items/{mine.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 404


# Role-gated pages: the roles that may open each; everyone else gets 404.
PAGES: dict[str, set[str]] = {
    "/items/": {Role.OFFICER, Role.UNIT_LEADER},
    "/items/new/": {Role.OFFICER},
    "/items/new/from-docx/": {Role.OFFICER},
    "/signoff/": {Role.UNIT_LEADER},
    "/inbox/": {Role.EDITOR, Role.DEPT_LEADER},
    "/account/": set(Role),
}


@pytest.mark.parametrize("url", list(PAGES))
def test_role_gated_pages(county: County, url: str) -> None:
    people = [
        county.officer_a,
        county.officer_a2,
        county.leader_b,
        county.editor,
        county.other_editor,
        county.dept_leader,
        county.sysadmin,
        make_user(role=Role.SECADMIN),
        make_user(role=Role.AUDITADMIN),
    ]
    assert {p.role for p in people} == set(Role)
    answers = {p.username: client_for(p).get(url).status_code for p in people}
    expected = {p.username: 200 if p.role in PAGES[url] else 404 for p in people}
    assert answers == expected


def test_unit_leader_list_never_shows_drafts(county: County) -> None:
    draft = make_item(officer=county.officer_a, title="还在写的草稿")
    sent = put_in_state(make_item(officer=county.officer_a, title="已报送的信息"), State.SUBMITTED)
    page = client_for(county.leader_a).get("/items/").content.decode()
    assert sent.title in page
    assert draft.title not in page


def test_editor_inbox_never_shows_pending_signoff_or_other_county(county: County) -> None:
    pending = put_in_state(
        make_item(officer=county.officer_b, title="等签发的"), State.PENDING_SIGNOFF
    )
    ours = put_in_state(make_item(officer=county.officer_a, title="本县报来的"), State.SUBMITTED)
    theirs = put_in_state(
        make_item(officer=county.other_officer, title="邻县报来的"), State.SUBMITTED
    )
    page = client_for(county.editor).get("/inbox/").content.decode()
    assert ours.title in page
    assert pending.title not in page
    assert theirs.title not in page
    other = client_for(county.other_editor).get("/inbox/").content.decode()
    assert theirs.title in other
    assert ours.title not in other
