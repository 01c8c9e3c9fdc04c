from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_unit, make_user
from xinbao.orgs.models import Role, Unit, User
from xinbao.topics.models import Topic
from xinbao.topics.services import TopicData, topic_create


class Clock:
    """``django.utils.timezone.now`` frozen at a moment the test moves by hand."""

    def __init__(self, start: datetime.datetime) -> None:
        self.now = start

    def __call__(self) -> datetime.datetime:
        return self.now

    def set(self, moment: datetime.datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> datetime.datetime:
        self.now += datetime.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    start = timezone.make_aware(datetime.datetime(2026, 3, 10, 9, 0))
    frozen = Clock(start)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@dataclass
class Extra:
    """More units in the county: a third township, two departments and an 'other' unit, each with
    an officer; and a township of the neighbouring county."""

    town_c: Unit
    bureau_x: Unit
    bureau_y: Unit
    school: Unit
    officer_c: User
    officer_x: User


@pytest.fixture
def extra(county: County) -> Extra:
    town_c = make_unit(name="丙镇", parent=county.dept)
    bureau_x = make_unit(name="县教育局", kind=Unit.Kind.DEPARTMENT, parent=county.dept)
    bureau_y = make_unit(name="县卫健局", kind=Unit.Kind.DEPARTMENT, parent=county.dept)
    school = make_unit(name="县委党校", kind=Unit.Kind.OTHER, parent=county.dept)
    return Extra(
        town_c=town_c,
        bureau_x=bureau_x,
        bureau_y=bureau_y,
        school=school,
        officer_c=make_user(role=Role.OFFICER, unit=town_c, username="off_c"),
        officer_x=make_user(role=Role.OFFICER, unit=bureau_x, username="off_x"),
    )


IssueTopic = Callable[..., Topic]


@pytest.fixture
def issue(county: County) -> IssueTopic:
    """Issue a topic as the county's editor (to all townships unless told otherwise)."""

    def make(**fields: Any) -> Topic:
        actor = fields.pop("actor", county.editor)
        data = TopicData(
            title=fields.pop("title", "基层党组织换届工作中的新做法"),
            wanted=fields.pop("wanted", "请反映本单位换届工作中的好做法和遇到的新问题。"),
            deadline=fields.pop("deadline", timezone.now() + datetime.timedelta(days=3)),
            targeting=fields.pop("targeting", Topic.Targeting.TOWNSHIPS),
            **fields,
        )
        return topic_create(actor=actor, data=data)

    return make
