"""The demo county loader (``xinbao demo_data``): what it builds, and that running it twice
changes nothing."""

from __future__ import annotations

import datetime
import itertools
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
from xinbao.notify.models import Notification
from xinbao.orgs.demo import content as demo_content
from xinbao.orgs.demo.accounts import DEMO_PASSWORD
from xinbao.orgs.demo.items import SHOWCASE
from xinbao.orgs.models import Role, Unit, User
from xinbao.publishing.models import (
    ExternalAdoption,
    Forwarding,
    Instruction,
    IssueEntry,
    Publication,
    PublicationIssue,
)
from xinbao.publishing.rules import adopted_by_department

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
        "publications": Publication.objects.count(),
        "issues": PublicationIssue.objects.count(),
        "entries": IssueEntry.objects.count(),
        "forwardings": Forwarding.objects.count(),
        "external adoptions": ExternalAdoption.objects.count(),
        "instructions": Instruction.objects.count(),
        "notifications": Notification.objects.count(),
        "internal items": Item.objects.filter(is_internal=True).count(),
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
        usernames = ["admin", "secadmin", "auditor", "editor", "leader", "city_editor"]
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
        assert users["city_editor"].role == Role.EDITOR
        assert users["city_editor"].unit == county().parent
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

    def test_few_items_still_make_publications_that_carry_only_adopted_items(self) -> None:
        names = set(Publication.objects.filter(department=county()).values_list("name", flat=True))
        assert names == {spec.name for spec in demo_content.COUNTY_PUBLICATIONS}
        entries = IssueEntry.objects.select_related("issue__publication__department", "item")
        for entry in entries:
            assert adopted_by_department(entry.issue.publication.department, entry.item)


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


@pytest.fixture(scope="class")
def default_demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """One default run (a year of items and of publishing), shared like ``small_demo``; its
    output is the fixture's value."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=[MD5_HASHER]),
        transaction.atomic(),
    ):
        yield run_demo()
        transaction.set_rollback(True)


def publication(spec: demo_content.PublicationSpec) -> Publication:
    """The county's publication ``spec``, or the city's (《澜江组工》)."""
    return Publication.objects.get(department__in=[county(), county().parent], name=spec.name)


def published(spec: demo_content.PublicationSpec) -> list[PublicationIssue]:
    issues = publication(spec).issues.filter(state=PublicationIssue.State.PUBLISHED)
    return list(issues.order_by("total_number"))


@pytest.mark.usefixtures("default_demo")
class TestDefaultDemo:
    def test_a_year_of_items_in_every_state_and_category(self, default_demo: str) -> None:
        assert "演示数据已就绪" in default_demo
        assert 400 <= Item.objects.count() <= 700
        assert set(Item.objects.values_list("state", flat=True)) == set(State.values)
        assert Item.objects.values("title").distinct().count() >= 400
        categories = set(Item.objects.values_list("category__name", flat=True))
        assert categories == set(demo_content.CATEGORIES)

    def test_the_county_has_four_publications_and_the_city_one(self) -> None:
        kinds = dict(Publication.objects.filter(department=county()).values_list("name", "kind"))
        assert kinds == {
            "组工信息": Publication.Kind.PERIODICAL,
            "基层组织建设通报": Publication.Kind.BULLETIN,
            "换届工作简报": Publication.Kind.BRIEFING,
            "组工信息专栏": Publication.Kind.WEB_COLUMN,
        }
        zugong = publication(demo_content.ZUGONG)
        # Full-width punctuation, one addressee per line.
        assert zugong.distribution.splitlines()[0] == "报送：市委组织部。"
        assert not any(mark in zugong.distribution for mark in ":,;()")
        city = county().parent
        assert city is not None
        assert list(city.publications.values_list("name", "kind")) == [
            ("澜江组工", Publication.Kind.PERIODICAL)
        ]
        city_editor = authenticate(username="city_editor", password=DEMO_PASSWORD)
        assert isinstance(city_editor, User)
        assert city_editor.role == Role.EDITOR and city_editor.unit == city
        assert city_editor.full_name and not city_editor.must_change_password

    def test_zugong_numbering_continues_from_before_the_demo(self) -> None:
        issues = published(demo_content.ZUGONG)
        assert 18 <= len(issues) <= 30  # about two a month
        year_before = timezone.localdate().year - 1
        first = issues[0]
        assert first.total_number == demo_content.ZUGONG_LAST_TOTAL + 1
        if first.year == year_before:
            assert first.number == demo_content.ZUGONG_LAST_NUMBER + 1
        else:
            assert first.number == 1
        first_of_new_year = next(i for i in issues if i.year != year_before)
        assert first_of_new_year.number == 1
        for earlier, later in itertools.pairwise(issues):
            assert later.total_number == (earlier.total_number or 0) + 1
            if later.year == earlier.year:
                assert later.number == (earlier.number or 0) + 1
            else:
                assert later.number == 1
            assert earlier.issue_date and later.issue_date
            assert earlier.issue_date <= later.issue_date
        zugong = publication(demo_content.ZUGONG)
        assert zugong.last_total_number == issues[-1].total_number

    def test_every_publication_has_published_issues_and_zugong_one_in_progress(self) -> None:
        sizes = {
            demo_content.ZUGONG: (3, 5),
            demo_content.BULLETIN: (2, 3),
            demo_content.BRIEFING: (2, 4),
            demo_content.WEB_COLUMN: (1, 3),
        }
        for spec, (fewest, most) in sizes.items():
            issues = published(spec)
            assert issues, spec.name
            for issue in issues:
                assert fewest <= issue.entries.count() <= most, (spec.name, issue.pk)
                assert issue.signer and issue.compiler
        assert 9 <= len(published(demo_content.BULLETIN)) <= 13
        assert len(published(demo_content.WEB_COLUMN)) >= 40
        briefed = Item.objects.filter(
            issue_entries__issue__publication=publication(demo_content.BRIEFING)
        )
        assert all(demo_content.ELECTION_KEYWORD in item.keywords for item in briefed)
        drafts = PublicationIssue.objects.filter(state=PublicationIssue.State.DRAFT)
        assert drafts.count() == 1
        draft = drafts.get()
        assert draft.publication == publication(demo_content.ZUGONG)
        assert draft.entries.count() == 2 and draft.number is None

    def test_issues_carry_items_adopted_before_their_date_and_are_dated_in_the_past(
        self,
    ) -> None:
        now = timezone.now()
        entries = IssueEntry.objects.select_related("issue__publication__department", "item")
        assert entries.filter(editor_note__gt="").exists()
        for entry in entries:
            issue, item = entry.issue, entry.item
            assert adopted_by_department(issue.publication.department, item)
            assert item.decided_at is not None and issue.issue_date is not None
            if issue.publication.department == county():
                assert timezone.localdate(item.decided_at) < issue.issue_date, entry.pk
        for issue in PublicationIssue.objects.exclude(state=PublicationIssue.State.DRAFT):
            assert issue.published_at is not None and issue.issue_date is not None
            assert issue.created_at <= issue.published_at <= now
            assert timezone.localdate(issue.published_at) == issue.issue_date
        assert not Notification.objects.filter(created_at__gt=now).exists()

    def test_no_internal_item_is_in_the_web_column(self) -> None:
        internal = Item.objects.filter(is_internal=True)
        assert 3 <= internal.count() <= 8
        assert not IssueEntry.objects.filter(
            issue__publication__kind=Publication.Kind.WEB_COLUMN, item__is_internal=True
        ).exists()

    def test_forwardings_to_the_city_are_pending_adopted_or_declined(self) -> None:
        dept = county()
        forwardings = Forwarding.objects.select_related("item")
        assert set(forwardings.values_list("from_department", "to_department")) == {
            (dept.pk, dept.parent_id)
        }
        states = list(forwardings.values_list("state", flat=True))
        assert 12 <= len(states) <= 18
        assert 2 <= states.count(Forwarding.State.PENDING) <= 4
        assert states.count(Forwarding.State.ADOPTED) >= 8
        for forwarding in forwardings:
            assert forwarding.item.decided_at is not None
            assert forwarding.item.decided_at < forwarding.forwarded_at
            if forwarding.state == Forwarding.State.PENDING:
                assert forwarding.decided_at is None
            else:
                assert forwarding.decided_at is not None
                assert forwarding.forwarded_at < forwarding.decided_at
        (city_issue,) = published(demo_content.CITY_PUBLICATION)
        carried = set(city_issue.entries.values_list("item", flat=True))
        adopted = forwardings.filter(state=Forwarding.State.ADOPTED).values_list("item", flat=True)
        assert 3 <= len(carried) <= 5 and carried <= set(adopted)

    def test_upper_levels_adopted_items_and_leaders_wrote_instructions(self) -> None:
        today = timezone.localdate()
        adoptions = ExternalAdoption.objects.all()
        assert 8 <= adoptions.count() <= 16
        levels = set(adoptions.values_list("level", flat=True))
        assert len(levels) >= 2 and "county" not in levels
        assert all(a.adopted_on <= today and a.outlet for a in adoptions)
        instructions = Instruction.objects.all()
        assert 4 <= instructions.count() <= 8
        assert len(set(instructions.values_list("level", flat=True))) >= 2
        assert all(i.text.endswith("。") and i.instructed_on <= today for i in instructions)

    def test_a_second_run_changes_nothing(self) -> None:
        before = counts()
        output = run_demo()
        assert counts() == before
        assert "本次新建 0 个" in output and "本次未生成信息" in output
        assert "本次未生成刊物" in output
