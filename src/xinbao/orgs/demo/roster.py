"""The demo county's officer team: appointments (post, phone, date) of every demo officer, two
former officers with a history (one moved in, then made backup; one who left), two training
sessions with attendance, and three exemplary items.

Idempotent: officers are appointed only while they have no history line, the former officers
are created only when their accounts are absent, and the sessions and exemplary items only while
the department has none. Everything goes through ``orgs.services`` (history lines and audit
records), acting as the first demo editor (the system administrator records nothing here: 三员).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from xinbao.items.models import Item, State
from xinbao.orgs import services
from xinbao.orgs.demo.accounts import DEMO_PASSWORD, DemoCounty
from xinbao.orgs.models import Attendance, ExemplaryItem, OfficerEvent, Role, TrainingSession, User

COMMENTARIES = (
    "选题抓住了基层治理中的新情况,标题直接亮明做法和成效,正文“一是、二是”层次清楚,"
    "用数字说话,篇幅短而信息量足,是动态类信息的好样子。",
    "从群众反映的具体问题切入,既讲做法又讲成效,结尾点出下一步打算,"
    "体现了“人无我有、人有我新”,值得各单位学习。",
    "时效性强,事情发生当天即报送;要素齐全,何时、何地、何人、何事、何果一目了然,没有空话套话。",
)


@dataclass
class RosterSummary:
    appointed: int = 0
    former: int = 0
    trainings: int = 0
    exemplary: int = 0


def demo_phone(index: int) -> str:
    return f"139{5800_0000 + index * 7919:08d}"


def build_roster(county: DemoCounty, password_hash: str = "") -> RosterSummary:
    """Fill in what is missing of the officer team (see the module docstring)."""
    summary = RosterSummary()
    editor = county.editors[0]
    today = timezone.localdate()
    index = 0
    for demo_unit in county.units:
        for officer in demo_unit.officers:
            index += 1
            if OfficerEvent.objects.filter(officer=officer).exists():
                continue
            services.officer_appoint(
                actor=editor,
                officer=officer,
                unit=demo_unit.unit,
                rank=officer.officer_rank or User.OfficerRank.REGULAR,
                post=officer.post,
                appointed_on=today - datetime.timedelta(days=420 + 23 * index),
                phone=demo_phone(index),
            )
            summary.appointed += 1
    summary.former = build_former_officers(county, editor, today, password_hash)
    summary.trainings = build_trainings(county, editor, today)
    summary.exemplary = build_exemplary(county, editor)
    return summary


def build_former_officers(
    county: DemoCounty, editor: User, today: datetime.date, password_hash: str
) -> int:
    """``town05_former`` left last year; ``town09_former`` came from a county department and
    is now town 9's backup officer."""
    plans = (
        ("town05_former", county.units[4], None, "离任"),
        ("town09_former", county.units[8], county.units[-1], "调动"),
    )
    made = 0
    for username, demo_unit, first_unit, _story in plans:
        if User.objects.filter(username=username).exists():
            continue
        start = first_unit or demo_unit
        officer = User(
            username=username,
            password=password_hash or make_password(DEMO_PASSWORD),
            full_name=f"{demo_unit.unit.display_name}原信息员",
            role=Role.OFFICER,
            unit=start.unit,
            officer_rank=User.OfficerRank.PRIMARY,
            must_change_password=False,
        )
        officer.full_clean(exclude=["password"])
        officer.save()
        services.officer_appoint(
            actor=editor,
            officer=officer,
            unit=start.unit,
            rank=User.OfficerRank.PRIMARY,
            post="办公室干事",
            appointed_on=today - datetime.timedelta(days=900),
            phone=demo_phone(90 + made),
        )
        if first_unit is None:
            services.officer_leave(
                actor=editor,
                officer=officer,
                occurred_on=today - datetime.timedelta(days=300),
                note="调任县委办公室",
            )
        else:
            services.officer_move(
                actor=editor,
                officer=officer,
                to_unit=demo_unit.unit,
                occurred_on=today - datetime.timedelta(days=400),
                note="工作调动",
            )
            services.officer_rank_change(
                actor=editor,
                officer=officer,
                rank=User.OfficerRank.BACKUP,
                occurred_on=today - datetime.timedelta(days=200),
                post="党政办干事",
                note="充实后续力量",
            )
        made += 1
    return made


def build_trainings(county: DemoCounty, editor: User, today: datetime.date) -> int:
    if TrainingSession.objects.filter(department=county.dept).exists():
        return 0
    sessions = (
        (
            today - datetime.timedelta(days=200),
            "全县组工信息业务培训班",
            "市委组织部信息科科长",
            "县委党校报告厅",
        ),
        (
            today - datetime.timedelta(days=45),
            "信息写作与报送规范专题培训",
            "县委组织部办公室副主任",
            "县委组织部三楼会议室",
        ),
    )
    officers = [o for u in county.units for o in u.officers]
    for number, (held_on, topic, trainer, place) in enumerate(sessions):
        session = services.training_create(
            actor=editor,
            held_on=held_on,
            topic=topic,
            trainer=trainer,
            place=place,
            notes="讲解组工信息的选题、写作和报送要求,点评近期优秀信息和退改稿件。",
        )
        services.training_material_add(
            actor=editor,
            session=session,
            title="组工信息写作要点(课件)",
            url="https://www.12371.cn/",
        )
        marks: dict[int, str] = {}
        for i, officer in enumerate(officers):
            if (i + number) % 9 == 4:
                marks[officer.pk] = Attendance.Status.ABSENT
            elif (i + number) % 11 == 6:
                marks[officer.pk] = Attendance.Status.EXCUSED
            else:
                marks[officer.pk] = Attendance.Status.PRESENT
        services.attendance_record(actor=editor, session=session, marks=marks)
    return len(sessions)


def build_exemplary(county: DemoCounty, editor: User) -> int:
    """Three adopted items, of different categories where possible, carried in a publication."""
    if ExemplaryItem.objects.filter(department=county.dept).exists():
        return 0
    adopted = (
        Item.objects.filter(department=county.dept, state=State.ADOPTED, is_internal=False)
        .filter(issue_entries__isnull=False)
        .select_related("unit", "category")
        .distinct()
        .order_by("-decided_at", "id")[:60]
    )
    chosen: list[Item] = []
    for item in adopted:
        if item.category_id not in {c.category_id for c in chosen}:
            chosen.append(item)
        if len(chosen) == len(COMMENTARIES):
            break
    for item in adopted:
        if len(chosen) == len(COMMENTARIES):
            break
        if item not in chosen:
            chosen.append(item)
    for item, commentary in zip(chosen, COMMENTARIES, strict=False):
        services.exemplary_choose(actor=editor, item=item, commentary=commentary)
    return len(chosen)
