"""R11/R12/R13: the generated matrix test. Every case is read from role_matrix.toml, the same
file RoleMatrixMiddleware enforces: role × view × method, and for object views own scope
versus another county's objects (404)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from tests.conftest import County
from tests.factories import make_attachment, make_item, make_user
from tests.security.census import all_routes
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.orgs.models import Role, Unit, User
from xinbao.publishing.models import Publication
from xinbao.publishing.services import issue_add_item, issue_create
from xinbao.security.matrix import MATRIX_FILE, get_matrix
from xinbao.topics.models import Topic
from xinbao.topics.services import TopicData, topic_create

MATRIX = get_matrix()
ROLES = sorted(MATRIX.roles)
# Object kinds whose "own" and "other" objects this test builds. The other kinds get the role
# and method cases; their scope is tested in their apps.
OWNED_KINDS = {"item", "unit", "publication", "issue", "topic"}
UNBUILT_KINDS = {
    "forwarding",
    "area",
    "adjustment",
    # the later apps' objects: their scope (404 outside it) is tested in tests/notify,
    # tests/orgs, tests/search, tests/publishing and tests/dashboard
    "message",
    "notice",
    "published_issue",
    "instruction",
    "item_pair",
    "cluster",
    "roster_unit",
    "officer",
    "training",
    "exemplary",
    "figure",
    "archive_export",  # tests/transfer/test_export_jobs.py
}


@dataclass
class World:
    users: dict[str, User]
    own: dict[str, dict[str, int]]  # kind -> param -> id
    other: dict[str, dict[str, int]]
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        client = self.clients.setdefault(role, Client())
        client.force_login(self.users[role])  # again each time: some POSTs sign out
        return client


def adopted(officer: User, editor: User, title: str) -> Item:
    item = make_item(officer=officer, title=title)
    transition(item=item, actor=officer, action="submit")
    return transition(item=item, actor=editor, action="adopt")


def publication(department: Unit, name: str) -> Publication:
    return Publication.objects.create(
        department=department, name=name, kind=Publication.Kind.PERIODICAL, last_year=2026
    )


def topic(editor: User) -> Topic:
    import datetime

    from django.utils import timezone

    data = TopicData(
        title="基层党组织换届工作中的新做法",
        wanted="请反映本单位换届工作中的好做法。",
        deadline=timezone.now() + datetime.timedelta(days=3),
        targeting=Topic.Targeting.TOWNSHIPS,
    )
    return topic_create(actor=editor, data=data)


def scope(county: County, officer: User, editor: User, unit: Unit, dept: Unit) -> dict[str, Any]:
    item = adopted(officer, editor, f"{unit.name}推行党员积分管理")
    attachment = make_attachment(item=item)
    pub = publication(dept, f"{dept.name}组工信息")
    issue = issue_create(publication=pub, actor=editor)
    entry = issue_add_item(issue=issue, item=item, actor=editor)
    return {
        "item": {"pk": item.pk, "attachment_id": attachment.pk},
        "unit": {"pk": unit.pk},
        "publication": {"pk": pub.pk},
        "issue": {"pk": issue.pk, "entry_id": entry.pk},
        "topic": {"pk": topic(editor).pk},
    }


@pytest.fixture
def world(county: County, media_root: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr("xinbao.publishing.views.render_pdf", lambda issue: b"%PDF-1.4")
    users = {
        Role.OFFICER: county.officer_a,
        Role.UNIT_LEADER: county.leader_a,
        Role.EDITOR: county.editor,
        Role.DEPT_LEADER: county.dept_leader,
        Role.SYSADMIN: county.sysadmin,
        Role.SECADMIN: make_user(role=Role.SECADMIN, username="sec"),
        Role.AUDITADMIN: make_user(role=Role.AUDITADMIN, username="aud"),
    }
    other_town = county.other_officer.home_unit
    return World(
        users={str(k): v for k, v in users.items()},
        own=scope(county, county.officer_a, county.editor, county.town_a, county.dept),
        other=scope(
            county, county.other_officer, county.other_editor, other_town, county.other_dept
        ),
    )


def params(view_name: str) -> list[str]:
    """The path parameters of the view's URL pattern."""
    for route in all_routes():
        if route.name == view_name:
            import re

            return re.findall(r"<(?:[^>:]+:)?(\w+)>", route.template)
    raise AssertionError(view_name)


def url(view_name: str, ids: dict[str, int]) -> str:
    kwargs = {name: ids.get(name, 999_999) for name in params(view_name)}
    return reverse(view_name, kwargs=kwargs or None)


def denied() -> int:
    return AuditRecord.objects.filter(action="authz.denied").count()


def test_r11_every_named_view_is_in_the_matrix_or_public() -> None:
    missing = [
        route.name
        for route in all_routes()
        if route.name
        and not (
            MATRIX.is_public(route.name)
            or MATRIX.is_delegated(route.name)
            or MATRIX.namespace(route.name) == "admin"
            or route.name in MATRIX.views
        )
    ]
    assert not missing, "\n".join(MATRIX.missing_message(name) for name in missing)


def test_r11_matrix_names_only_existing_views_and_known_object_kinds() -> None:
    names = {route.name for route in all_routes()}
    assert set(MATRIX.views) <= names, set(MATRIX.views) - names
    kinds = {rule.object for rule in MATRIX.views.values() if rule.object}
    assert kinds <= OWNED_KINDS | UNBUILT_KINDS, kinds


@pytest.mark.parametrize("view_name", sorted(MATRIX.views))
def test_r11_role_matrix(view_name: str, world: World) -> None:
    rule = MATRIX.views[view_name]
    kind = rule.object
    failures: list[str] = []
    for role in ROLES:
        for method in ("GET", "POST"):
            own = url(view_name, world.own.get(kind, {}))
            before = denied()
            body = {"item": world.own["item"]["pk"]} if method == "POST" else {}
            response = getattr(world.client(role), method.lower())(own, body)
            status = response.status_code
            case = f"{role} {method} {own} ({view_name})"
            if role not in rule.roles():
                if status != 404 or denied() != before + 1:
                    failures.append(f"{case}: expected 404 + authz.denied, got {status}")
            elif role not in rule.methods.get(method, frozenset()):
                if status != 405:
                    failures.append(f"{case}: expected 405, got {status}")
            else:
                refused = {403, 405} | ({404} if kind not in UNBUILT_KINDS else set())
                if status in refused or status >= 500:
                    failures.append(f"{case}: own scope refused with {status}")
                if kind in OWNED_KINDS:
                    other = url(view_name, world.other[kind])
                    body = {"item": world.other["item"]["pk"]} if method == "POST" else {}
                    response = getattr(world.client(role), method.lower())(other, body)
                    status = response.status_code
                    if status != 404:
                        failures.append(f"{role} {method} {other}: other county got {status}")
    assert not failures, f"{view_name} against {MATRIX_FILE}:\n" + "\n".join(failures)


def test_r11_unlisted_view_answers_404_and_logs_where_to_add_it(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from xinbao.security import middleware

    views = {k: v for k, v in MATRIX.views.items() if k != "items:inbox"}
    narrowed = dataclasses.replace(MATRIX, views=views)
    monkeypatch.setattr(middleware, "get_matrix", lambda: narrowed)
    assert world.client("editor").get("/inbox/").status_code == 404
    assert "'items:inbox' is not in the role matrix" in caplog.text
    assert MATRIX_FILE in caplog.text


def test_r13_admin_site_only_for_the_system_and_security_administrators(world: World) -> None:
    for role in ROLES:
        user = world.users[role]
        User.objects.filter(pk=user.pk).update(is_staff=True)
        status = world.client(role).get("/admin/").status_code
        if role in MATRIX.admin_site_roles:
            assert status == 200, role
        else:
            assert status == 404, role
    assert MATRIX.admin_site_roles == {"sysadmin", "secadmin"}


def test_r13_admin_powers_are_disjoint_and_hold_no_business_view() -> None:
    powers = MATRIX.powers
    assert set(powers) == {"sysadmin", "secadmin", "auditadmin"}
    sys_p, sec_p, aud_p = (powers[r].permissions for r in ("sysadmin", "secadmin", "auditadmin"))
    # user accounts: the system admin creates them, the security admin grants roles on them
    assert not (sys_p & sec_p) - {"orgs.change_user", "orgs.view_user"}
    assert not any(p.startswith("audit.") for p in sys_p | sec_p)
    assert "orgs.add_user" not in sec_p and not aud_p
    business = {"officer", "unit_leader", "editor", "dept_leader"}
    for name, rule in MATRIX.views.items():
        roles = rule.roles()
        if roles & business and roles & set(powers):
            assert roles == set(MATRIX.roles), f"{name} mixes business and admin roles"
    assert MATRIX.views["audit:log"].roles() == {"auditadmin"}


def test_r11_resolver_has_no_view_named_twice() -> None:
    names = [r.name for r in all_routes() if r.name and not r.name.startswith(("api:", "admin:"))]
    assert len(names) == len(set(names))
    assert get_resolver() is not None
