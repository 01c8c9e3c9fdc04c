from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories import make_unit, make_user
from xinbao.orgs.models import Role, Unit, User


@dataclass
class County:
    """A small county: its department, one township with and one without 签发, people in each,
    and a second county whose people must never reach the first county's items."""

    dept: Unit
    town_a: Unit  # submits straight to the county
    town_b: Unit  # requires the unit leader's sign-off
    other_dept: Unit
    officer_a: User
    officer_a2: User
    leader_a: User
    officer_b: User
    leader_b: User
    editor: User
    dept_leader: User
    other_editor: User
    other_officer: User
    sysadmin: User


@pytest.fixture
def county(db: None) -> County:
    city = make_unit(name="测试市委组织部", kind=Unit.Kind.ORG_DEPT, level=Unit.Level.CITY)
    dept = make_unit(name="测试县委组织部", kind=Unit.Kind.ORG_DEPT, parent=city)
    town_a = make_unit(name="甲镇", parent=dept)
    town_b = make_unit(name="乙镇", parent=dept, requires_signoff=True)
    other_dept = make_unit(name="邻县委组织部", kind=Unit.Kind.ORG_DEPT, parent=city)
    other_town = make_unit(name="邻县丙镇", parent=other_dept)
    return County(
        dept=dept,
        town_a=town_a,
        town_b=town_b,
        other_dept=other_dept,
        officer_a=make_user(role=Role.OFFICER, unit=town_a, username="off_a"),
        officer_a2=make_user(
            role=Role.OFFICER, unit=town_a, username="off_a2", officer_rank=User.OfficerRank.BACKUP
        ),
        leader_a=make_user(role=Role.UNIT_LEADER, unit=town_a, username="lead_a"),
        officer_b=make_user(role=Role.OFFICER, unit=town_b, username="off_b"),
        leader_b=make_user(role=Role.UNIT_LEADER, unit=town_b, username="lead_b"),
        editor=make_user(role=Role.EDITOR, unit=dept, username="ed"),
        dept_leader=make_user(role=Role.DEPT_LEADER, unit=dept, username="dl"),
        other_editor=make_user(role=Role.EDITOR, unit=other_dept, username="ed_other"),
        other_officer=make_user(role=Role.OFFICER, unit=other_town, username="off_other"),
        sysadmin=make_user(role=Role.SYSADMIN, username="sys"),
    )


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: pytest.FixtureRequest) -> None:
    """Tests create many users; the production hasher's cost is tested where it matters."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def immediate_tasks(settings: pytest.FixtureRequest) -> None:
    """Background tasks run at once, in the test (tests of the database worker set it back);
    mail goes to ``django.core.mail.outbox``."""
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def empty_commit_notes() -> None:
    """A test's transaction never commits, so the changes its writes noted for the ledger and
    the dashboards (``xinbao.commit_notes``) stay in the thread's notebook; the next commit's
    handler takes what is left (as after a rollback in production). Each test starts with an
    empty notebook, so one test's leftovers never run in another's refresh."""
    from xinbao.dashboard import signals as dashboard_signals
    from xinbao.scoring import signals as scoring_signals

    dashboard_signals._notes.take()
    scoring_signals._notes.take()
