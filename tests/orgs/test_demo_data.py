"""The demo county loader (``xinbao demo_data``): what it builds, and that running it twice
changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.test import Client, override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from tests.factories import make_unit, make_user
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Item, ItemEvent, Revision, State, split_paragraphs
from xinbao.items.workflow import ACTIONS
from xinbao.orgs import demo_content
from xinbao.orgs.management.commands.demo_data import DEMO_PASSWORD, SHOWCASE
from xinbao.orgs.models import Role, Unit, User

SMALL = 60  # items in the quick run; the default run is tested once below
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"  # as tests/conftest.py sets it

pytestmark = pytest.mark.django_db


def run_demo(**options: int) -> str:
    out = StringIO()
    call_command("demo_data", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "users": User.objects.count(),
        "items": Item.objects.count(),
        "events": ItemEvent.objects.count(),
        "revisions": Revision.objects.count(),
        "audit records": AuditRecord.objects.count(),
    }


def county() -> Unit:
    return Unit.objects.get(code=demo_content.COUNTY.code)


@pytest.fixture(scope="class")
def small_demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """One quick run of the command shared by a class of read-only tests, rolled back after the
    class (each test still runs in its own savepoint inside this transaction)."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=[MD5_HASHER]),
        transaction.atomic(),
    ):
        run_demo(items=SMALL)
        yield
        transaction.set_rollback(True)


@pytest.mark.usefixtures("small_demo")
class TestSmallDemo:
    def test_county_sits_under_the_city_with_townships_and_departments(self) -> None:
        dept = county()
        assert dept.kind == Unit.Kind.ORG_DEPT and dept.level == Unit.Level.COUNTY
        assert dept.parent is not None and dept.parent.level == Unit.Level.CITY
        below = Unit.objects.filter(parent=dept)
        assert below.filter(kind=Unit.Kind.TOWNSHIP).count() >= 20
        assert below.filter(kind=Unit.Kind.DEPARTMENT).count() >= 15
        # Derived fields come from unit_save: every unit reports to the county.
        assert set(below.values_list("department", flat=True)) == {dept.pk}
        assert all(u.path == f"{dept.path}{u.code}/" for u in below)
        assert Unit.objects.get(code="YX-T01").name == "城关镇"

    def test_township_01_submits_directly_and_township_02_needs_signoff(self) -> None:
        town01 = User.objects.get(username="town01").home_unit
        town02 = User.objects.get(username="town02").home_unit
        assert town01.requires_signoff is False
        assert town02.requires_signoff is True
        assert User.objects.get(username="town02_lead").unit == town02

    def test_every_demo_account_logs_in_with_the_demo_password(self) -> None:
        townships = len(demo_content.TOWNSHIPS)
        usernames = ["admin", "secadmin", "auditor", "editor", "leader"]
        usernames += [f"town{n:02d}" for n in range(1, townships + 1)]
        usernames += [f"town{n:02d}_lead" for n in range(1, townships + 1)]
        usernames += [f"dept{n:02d}" for n in range(1, len(demo_content.DEPARTMENTS) + 1)]
        for username in usernames:
            user = authenticate(username=username, password=DEMO_PASSWORD)
            assert user is not None, username
            assert not user.must_change_password
            assert user.full_name
        assert authenticate(username="town01", password="wrong-password") is None

    def test_accounts_have_their_roles_and_units(self) -> None:
        users = {u.username: u for u in User.objects.select_related("unit")}
        for username, role in (("admin", Role.SYSADMIN), ("secadmin", Role.SECADMIN)):
            assert users[username].role == role and users[username].unit is None
        assert users["auditor"].role == Role.AUDITADMIN and users["auditor"].unit is None
        assert users["editor"].role == Role.EDITOR and users["editor"].unit == county()
        assert users["leader"].role == Role.DEPT_LEADER and users["leader"].unit == county()
        assert users["town01"].role == Role.OFFICER
        assert users["town01"].officer_rank == User.OfficerRank.PRIMARY
        assert users["town01_lead"].role == Role.UNIT_LEADER
        assert users["dept01"].unit is not None
        assert users["dept01"].unit.kind == Unit.Kind.DEPARTMENT
        backups = User.objects.filter(officer_rank=User.OfficerRank.BACKUP)
        assert backups.count() >= 2
        for user in users.values():
            user.full_clean(exclude=["password"])  # the model's own role/unit rules hold

    def test_admin_accounts_get_exactly_their_admin_rights(self) -> None:
        admin = User.objects.get(username="admin")
        secadmin = User.objects.get(username="secadmin")
        auditor = User.objects.get(username="auditor")
        assert admin.is_staff and not admin.is_superuser
        for perm in (
            "orgs.change_unit",
            "orgs.add_user",
            "orgs.view_user",
            "items.change_category",
        ):
            assert admin.has_perm(perm), perm
        assert secadmin.is_staff and not secadmin.is_superuser
        assert secadmin.has_perm("orgs.change_user") and secadmin.has_perm("orgs.view_user")
        assert not secadmin.has_perm("orgs.change_unit")
        assert not auditor.is_staff and not auditor.get_all_permissions()
        assert not User.objects.filter(is_superuser=True).exists()

    def test_admin_pages_open_for_the_administrators(self, client: Client) -> None:
        client.force_login(User.objects.get(username="admin"))
        for url in ("/admin/orgs/unit/", "/admin/orgs/user/", "/admin/items/category/"):
            assert client.get(url).status_code == 200, url
        client.force_login(User.objects.get(username="secadmin"))
        assert client.get("/admin/orgs/user/").status_code == 200
        assert client.get("/admin/orgs/unit/").status_code == 403

    def test_items_reach_every_state_and_returned_ones_carry_the_editors_comment(self) -> None:
        assert Item.objects.count() == SMALL
        assert set(Item.objects.values_list("state", flat=True)) == set(State.values)
        returned = Item.objects.filter(state=State.RETURNED)
        assert returned.exists()
        for item in returned:
            last_return = item.events.filter(action="return").order_by("-created_at", "-id").first()
            assert last_return is not None and last_return.comment
            assert last_return.actor.role == Role.EDITOR

    def test_items_went_through_the_real_workflow(self) -> None:
        # Every item past the drafting desk has its submission revision and events; every move left
        # an audit record.
        submitted = Item.objects.exclude(state__in=[State.DRAFT, State.PENDING_SIGNOFF])
        assert not submitted.annotate(n=Count("revisions")).filter(n=0).exists()
        assert not submitted.annotate(n=Count("events")).filter(n=0).exists()
        moves = AuditRecord.objects.filter(action__in=[f"item.{action}" for action in ACTIONS])
        assert moves.count() == ItemEvent.objects.count()
        assert Revision.objects.filter(kind=Revision.Kind.EDITOR).exists()
        for item in Item.objects.filter(state=State.PENDING_SIGNOFF):
            assert item.unit.requires_signoff
        assert Item.objects.filter(
            urgency__gt=0, state__in=[State.SUBMITTED, State.IN_REVIEW]
        ).exists()

    def test_history_is_spread_over_the_past_year_in_order(self) -> None:
        now = timezone.now()
        oldest = Item.objects.order_by("created_at").first()
        assert oldest is not None
        assert (
            now - datetime.timedelta(days=370)
            < oldest.created_at
            < now - datetime.timedelta(days=90)
        )
        for item in Item.objects.prefetch_related("events", "revisions"):
            times = [
                item.created_at,
                *(e.created_at for e in sorted(item.events.all(), key=lambda e: e.pk)),
            ]
            assert times == sorted(times), item.pk
            assert times[-1] <= item.updated_at <= now
            assert all(item.created_at <= r.created_at <= now for r in item.revisions.all())
            if item.submitted_at is not None:
                assert item.created_at <= item.submitted_at <= now
            if item.event_date is not None:
                assert item.event_date <= timezone.localdate(now)

    def test_item_texts_follow_the_house_style(self) -> None:
        titles = list(Item.objects.values_list("title", flat=True))
        assert len(set(titles)) == len(titles)
        for item in Item.objects.all():
            paragraphs = split_paragraphs(item.body)
            assert 3 <= len(paragraphs) <= 6, item.title
            assert 200 <= item.char_count <= 600, item.title


def test_showcase_needs_room() -> None:
    with pytest.raises(CommandError):
        run_demo(items=len(SHOWCASE) - 1)
    assert Unit.objects.count() == 0


def test_a_demo_login_taken_by_someone_else_stops_the_run_and_changes_nothing() -> None:
    elsewhere = make_unit(name="别县某镇")
    make_user(role=Role.OFFICER, unit=elsewhere, username="town01")
    before = counts()
    with pytest.raises(CommandError, match="town01"):
        run_demo(items=len(SHOWCASE))
    assert counts() == before


def test_default_run_makes_a_year_of_items_and_a_second_run_changes_nothing() -> None:
    output = run_demo()
    assert "演示数据已就绪" in output
    first = counts()
    assert 400 <= first["items"] <= 700
    assert set(Item.objects.values_list("state", flat=True)) == set(State.values)
    assert Item.objects.values("title").distinct().count() >= 400
    categories = set(Item.objects.values_list("category__name", flat=True))
    assert categories == set(demo_content.CATEGORIES)

    output = run_demo()
    assert counts() == first
    assert "本次新建 0 个" in output and "本次未生成信息" in output
