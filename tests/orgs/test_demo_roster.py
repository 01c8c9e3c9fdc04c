"""The demo loader's officer team: posts, phones, appointment dates and history, two trainings
with attendance, three exemplary items; a second run adds none of them again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from xinbao.orgs.models import Attendance, ExemplaryItem, OfficerEvent, Role, TrainingSession, User

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo_data", stdout=out, items=60)
    return out.getvalue()


def roster_counts() -> tuple[int, int, int, int]:
    return (
        OfficerEvent.objects.count(),
        TrainingSession.objects.count(),
        Attendance.objects.count(),
        ExemplaryItem.objects.count(),
    )


def test_demo_officer_team_is_built_once_and_shows_on_the_pages() -> None:
    report = run_demo()
    assert "信息员队伍" in report
    town01 = User.objects.get(username="town01")
    assert town01.post and town01.contact_phone.startswith("139") and town01.appointed_on
    kinds = set(OfficerEvent.objects.values_list("kind", flat=True))
    assert kinds == {"appointed", "moved", "rank_changed", "left"}
    assert User.objects.get(username="town05_former").is_active is False
    assert TrainingSession.objects.count() == 2
    assert Attendance.objects.filter(status="absent").exists()
    assert ExemplaryItem.objects.count() == 3
    before = roster_counts()
    run_demo()
    assert roster_counts() == before

    editor = Client()
    editor.force_login(User.objects.get(username="editor"))
    assert "城关镇" in editor.get(reverse("orgs:roster")).content.decode()
    officer = Client()
    officer.force_login(town01)
    assert officer.get(reverse("orgs:portfolio", args=[town01.pk])).status_code == 200
    library = officer.get(reverse("orgs:exemplary_list")).content.decode()
    assert all(e.title in library for e in ExemplaryItem.objects.all())
    assert User.objects.filter(role=Role.OFFICER, is_active=True, appointed_on=None).count() == 0
