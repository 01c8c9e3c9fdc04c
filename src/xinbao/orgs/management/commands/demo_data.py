"""``xinbao demo_data``: load the demo county 云溪县 — its org tree, the demo accounts, about a
year of information items in every workflow state, and what the department made of them: issues
of its four publications, forwardings to the city (whose editor adopts and publishes some),
upper-level adoptions and leaders' instructions.

Idempotent. Units and accounts are looked up by code and username and created only when absent;
existing ones are left exactly as they are (an administrator's later changes survive a re-run).
Items are generated only while the county organization department has received none, and the
publishing side only while it has no publication, so a second run adds nothing. Everything happens
in one transaction.

Items go through the real services (``item_create``, ``transition``, ``item_update``), so their
events, revisions and audit records exist. Afterwards the item, event and revision timestamps are
moved back onto a planned timeline over the past year (demo data only). The publishing side goes
through the publishing services (``issue_create`` … ``issue_publish``, ``item_forward``,
``forwarding_decide``, ``external_adoption_record``, ``instruction_record``) in date order and dates
its rows, and the in-app notices they send, the same way. Audit records keep the time they were
really written: the log is append-only.
"""

from __future__ import annotations

import bisect
import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from xinbao.audit.services import audit_record
from xinbao.items.errors import ItemError
from xinbao.items.models import Category, Item, ItemEvent, Revision, State, Urgency
from xinbao.items.services import ItemData, item_create, item_update, transition
from xinbao.notify.models import Notification
from xinbao.orgs import demo_content as content
from xinbao.orgs.demo_content import UnitSpec
from xinbao.orgs.models import Role, Unit, User
from xinbao.orgs.services import unit_save
from xinbao.publishing.models import (
    ExternalAdoption,
    Forwarding,
    Instruction,
    Level,
    Publication,
    PublicationIssue,
)
from xinbao.publishing.rules import ADOPTED_STATES
from xinbao.publishing.services import (
    entry_update,
    external_adoption_record,
    forwarding_decide,
    instruction_record,
    issue_add_item,
    issue_create,
    issue_publish,
    issue_update_meta,
    item_forward,
)

DEMO_PASSWORD = "Xinbao@2026"  # noqa: S105 - the documented password of every demo account
DEFAULT_ITEMS = 520
SEED = 2026  # the items; the publishing side draws from its own generator, seeded SEED + 1

# Django admin rights of the administrator accounts (三员: the audit administrator gets none).
ADMIN_PERMISSIONS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "admin": (
        ("orgs", "unit", ("add", "change", "view")),
        ("orgs", "user", ("add", "change", "view")),
        ("items", "category", ("add", "change", "view")),
    ),
    "secadmin": (("orgs", "user", ("change", "view")),),
}

# Fixed recent items, so every demo login finds something to do: town01 sees each state of its
# own work, town02_lead has items to sign off, the editor's inbox has urgent ones on top.
# (unit code, final state, days ago, urgency); urgent ones are emergency reports.
SHOWCASE: tuple[tuple[str, State, float, Urgency], ...] = (
    ("YX-T01", State.DRAFT, 0.2, Urgency.NORMAL),
    ("YX-T01", State.SUBMITTED, 0.4, Urgency.URGENT),
    ("YX-T01", State.IN_REVIEW, 1.5, Urgency.NORMAL),
    ("YX-T01", State.RETURNED, 2.5, Urgency.NORMAL),
    ("YX-T01", State.RESUBMITTED, 4.0, Urgency.NORMAL),
    ("YX-T01", State.ADOPTED, 6.0, Urgency.NORMAL),
    ("YX-T01", State.DECLINED, 9.0, Urgency.NORMAL),
    ("YX-T01", State.ARCHIVED, 45.0, Urgency.NORMAL),
    ("YX-T02", State.PENDING_SIGNOFF, 0.3, Urgency.NORMAL),
    ("YX-T02", State.PENDING_SIGNOFF, 1.2, Urgency.NORMAL),
    ("YX-T02", State.SUBMITTED, 0.8, Urgency.VERY_URGENT),
    ("YX-T02", State.RETURNED, 3.5, Urgency.NORMAL),
    ("YX-T02", State.DRAFT, 2.0, Urgency.NORMAL),
    ("YX-D08", State.PENDING_SIGNOFF, 1.0, Urgency.NORMAL),
    ("YX-T03", State.IN_REVIEW, 0.6, Urgency.URGENT),
)

# Final state by age of the item: old work is decided and filed, recent work is still moving.
# (maximum age in days, {state: weight})
STATE_BY_AGE: tuple[tuple[float, dict[State, float]], ...] = (
    (
        7,
        {
            State.DRAFT: 14,
            State.PENDING_SIGNOFF: 12,
            State.SUBMITTED: 28,
            State.IN_REVIEW: 16,
            State.RETURNED: 8,
            State.RESUBMITTED: 8,
            State.ADOPTED: 10,
            State.DECLINED: 4,
        },
    ),
    (
        21,
        {
            State.DRAFT: 8,
            State.PENDING_SIGNOFF: 8,
            State.SUBMITTED: 12,
            State.IN_REVIEW: 15,
            State.RETURNED: 12,
            State.RESUBMITTED: 10,
            State.ADOPTED: 25,
            State.DECLINED: 10,
        },
    ),
    (
        60,
        {
            State.DRAFT: 5,
            State.PENDING_SIGNOFF: 2,
            State.SUBMITTED: 1,
            State.IN_REVIEW: 2,
            State.RETURNED: 7,
            State.RESUBMITTED: 2,
            State.ADOPTED: 42,
            State.DECLINED: 19,
            State.ARCHIVED: 20,
        },
    ),
    (
        400,
        {
            State.DRAFT: 3,
            State.RETURNED: 2,
            State.ADOPTED: 25,
            State.DECLINED: 20,
            State.ARCHIVED: 50,
        },
    ),
)
CATEGORY_WEIGHTS = {
    content.NEWS: 32,
    content.EXPERIENCE: 36,
    content.PROBLEM: 12,
    content.RESEARCH: 10,
    content.OTHER: 10,
}

OFFICER, LEADER, EDITOR = "officer", "leader", "editor"
MOVE, OFFICER_EDIT, EDITOR_EDIT = "move", "officer_edit", "editor_edit"


class Command(BaseCommand):
    help = (
        "载入演示数据：云溪县的组织架构、演示账号，近一年的信息、刊物、转报和上级采用"
        "（重复运行不会重复创建）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--items",
            type=int,
            default=DEFAULT_ITEMS,
            help=f"生成的信息条数（默认 {DEFAULT_ITEMS}；县委组织部已有信息时不再生成）。",
        )

    def handle(self, *args: Any, items: int = DEFAULT_ITEMS, **options: Any) -> None:
        if items < len(SHOWCASE):
            raise CommandError(f"--items 不能少于 {len(SHOWCASE)}。")
        categories = Category.objects.in_bulk(list(CATEGORY_WEIGHTS), field_name="name")
        if len(categories) != len(CATEGORY_WEIGHTS):
            raise CommandError("缺少默认的信息类别，请先运行 xinbao migrate。")
        with transaction.atomic():
            county = build_county(DEMO_PASSWORD)
            generated = 0
            if not Item.objects.filter(department=county.dept).exists():
                generated = ItemGenerator(county, categories, random.Random(SEED)).run(items)
            made = None
            if not Publication.objects.filter(department=county.dept).exists():
                try:
                    made = PublishingGenerator(county, random.Random(SEED + 1)).run()
                except ItemError as error:  # a refusal by a publishing service: nothing is kept
                    raise CommandError(f"生成刊物数据时出错，未做任何改动：{error}") from error
        self.report(county, generated)
        self.report_publishing(county, made)

    def report(self, county: DemoCounty, generated: int) -> None:
        items = Item.objects.filter(department=county.dept)
        by_state = Counter(items.values_list("state", flat=True))
        states = "、".join(f"{State(s).label}{by_state[s]}" for s in State if by_state[s])
        write = self.stdout.write
        write(f"演示数据已就绪：{county.dept.name}")
        write(
            f"  单位 {len(county.units) + 2} 个（本次新建 {county.created_units} 个），"
            f"其中乡镇 {len(content.TOWNSHIPS)} 个、县直部门 {len(content.DEPARTMENTS)} 个"
        )
        write(
            f"  演示账号 {county.accounts} 个（本次新建 {county.created_users} 个），"
            f"密码均为 {DEMO_PASSWORD}"
        )
        if generated:
            write(f"  信息 {items.count()} 条（本次生成 {generated} 条）：{states}")
        else:
            write(f"  县委组织部已有信息 {items.count()} 条，本次未生成信息")
        write(
            f"  流转记录 {ItemEvent.objects.filter(item__department=county.dept).count()} 条，"
            f"修改稿 {Revision.objects.filter(item__department=county.dept).count()} 条"
        )

    def report_publishing(self, county: DemoCounty, made: PublishingSummary | None) -> None:
        write = self.stdout.write
        publications = Publication.objects.filter(department__in=[county.dept, county.city])
        ordered = sorted(publications, key=lambda p: (p.department_id != county.dept.pk, p.pk))
        names = "、".join(f"《{p.name}》" for p in ordered)
        created = f"本次新建 {made.publications} 种" if made else "本次未生成刊物"
        write(f"  刊物 {publications.count()} 种（{created}）：{names}")
        issues = PublicationIssue.objects.filter(publication__in=publications)
        by_state = Counter(issues.values_list("state", flat=True))
        own = issues.filter(publication__department=county.dept)
        write(
            f"  已发布 {by_state[PublicationIssue.State.PUBLISHED]} 期"
            f"（其中县委组织部 {own.exclude(state=PublicationIssue.State.DRAFT).count()} 期），"
            f"编辑中 {by_state[PublicationIssue.State.DRAFT]} 期"
        )
        forwardings = Forwarding.objects.filter(from_department=county.dept)
        by_state = Counter(forwardings.values_list("state", flat=True))
        decisions = "、".join(
            f"{Forwarding.State(s).label}{by_state[s]}" for s in Forwarding.State if by_state[s]
        )
        adoptions = ExternalAdoption.objects.filter(item__department=county.dept)
        levels = Counter(adoptions.values_list("level", flat=True))
        by_level = "、".join(f"{Level(v).label}{levels[v]}" for v in reversed(Level) if levels[v])
        instructions = Instruction.objects.filter(item__department=county.dept).count()
        write(
            f"  转报 {forwardings.count()} 条（{decisions or '无'}），"
            f"上级采用 {adoptions.count()} 次（{by_level or '无'}），领导批示 {instructions} 条"
        )


# ---------------------------------------------------------------------------------------------
# Units and accounts
# ---------------------------------------------------------------------------------------------


@dataclass
class DemoUnit:
    spec: UnitSpec
    unit: Unit
    officers: list[User]  # the primary officer first
    leader: User
    weight: float = 1.0  # how much the unit writes


@dataclass
class DemoCounty:
    dept: Unit
    city: Unit  # the city organization department above it
    units: list[DemoUnit]
    editors: list[User]
    leader: User  # the department leader, who signs the issues off
    city_editor: User
    accounts: int = 0
    created_units: int = 0
    created_users: int = 0
    by_code: dict[str, DemoUnit] = field(default_factory=dict)


class AccountMaker:
    """Creates absent accounts, all with one password hash computed at the first creation
    (hashing is the slow part)."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.password_hash = ""
        self.seen = 0
        self.created = 0

    def get(
        self,
        username: str,
        role: str,
        unit: Unit | None,
        post: str,
        *,
        rank: str = "",
        is_staff: bool = False,
    ) -> User:
        full_name = content.person_name(self.seen)
        self.seen += 1
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            # The items below are written and moved by these accounts: a business account that
            # is someone else's cannot stand in. Administrator accounts are only left alone.
            if unit is not None and (existing.role != role or existing.unit_id != unit.pk):
                raise CommandError(
                    f"账号 {username} 已存在，但角色或所在单位与演示数据不符；未做任何改动。"
                )
            return existing
        if not self.password_hash:
            self.password_hash = make_password(self.password)
        user = User(
            username=username,
            password=self.password_hash,
            full_name=full_name,
            role=role,
            unit=unit,
            officer_rank=rank,
            post=post,
            is_staff=is_staff,
            must_change_password=False,
        )
        user.full_clean(exclude=["password"])
        user.save()
        for app_label, model, actions in ADMIN_PERMISSIONS.get(username, ()):
            codenames = [f"{action}_{model}" for action in actions]
            perms = list(
                Permission.objects.filter(
                    content_type__app_label=app_label,
                    content_type__model=model,
                    codename__in=codenames,
                )
            )
            if len(perms) != len(codenames):
                raise CommandError("缺少模型权限记录，请先运行 xinbao migrate。")
            user.user_permissions.add(*perms)
        audit_record(
            actor=None,
            action="user.create",
            obj=user,
            changes={"role": role, "unit": unit.code if unit else None, "source": "demo_data"},
        )
        self.created += 1
        return user


def ensure_unit(
    spec: UnitSpec, *, kind: str, parent: Unit | None, level: str = "", order: int = 0
) -> tuple[Unit, bool]:
    """The unit with ``spec.code``, created through ``unit_save`` when absent; whether it was."""
    existing = Unit.objects.filter(code=spec.code).first()
    if existing is not None:
        if existing.kind != kind or existing.parent_id != (parent.pk if parent else None):
            raise CommandError(
                f"单位代码 {spec.code} 已被“{existing.name}”使用，且类型或上级单位与演示数据"
                "不符；未做任何改动。"
            )
        return existing, False
    unit = Unit(
        code=spec.code,
        name=spec.name,
        short_name=spec.short_name,
        kind=kind,
        level=level,
        parent=parent,
        requires_signoff=spec.requires_signoff,
        sort_order=order,
    )
    return unit_save(unit=unit, actor=None, action="unit.create"), True


def build_county(password: str) -> DemoCounty:
    """The city and county departments, their townships and departments, and every account."""
    city, new_city = ensure_unit(
        content.CITY, kind=Unit.Kind.ORG_DEPT, parent=None, level=Unit.Level.CITY
    )
    dept, new_dept = ensure_unit(
        content.COUNTY, kind=Unit.Kind.ORG_DEPT, parent=city, level=Unit.Level.COUNTY
    )
    created_units = int(new_city) + int(new_dept)
    accounts = AccountMaker(password)
    accounts.get("admin", Role.SYSADMIN, None, "系统管理员", is_staff=True)
    accounts.get("secadmin", Role.SECADMIN, None, "安全管理员", is_staff=True)
    accounts.get("auditor", Role.AUDITADMIN, None, "审计管理员")
    editors = [
        accounts.get("editor", Role.EDITOR, dept, "部办公室副主任"),
        accounts.get("editor2", Role.EDITOR, dept, "部办公室干事"),
    ]
    leader = accounts.get("leader", Role.DEPT_LEADER, dept, "县委组织部副部长")

    units: list[DemoUnit] = []
    groups = (
        ("town", content.TOWNSHIPS, Unit.Kind.TOWNSHIP, content.BACKUP_TOWNSHIPS, 100),
        ("dept", content.DEPARTMENTS, Unit.Kind.DEPARTMENT, content.BACKUP_DEPARTMENTS, 200),
    )
    for prefix, specs, kind, with_backup, order_base in groups:
        for number, spec in enumerate(specs, start=1):
            unit, created = ensure_unit(spec, kind=kind, parent=dept, order=order_base + number)
            created_units += int(created)
            login = f"{prefix}{number:02d}"
            office = "党政办干事" if prefix == "town" else "办公室干事"
            officers = [
                accounts.get(login, Role.OFFICER, unit, office, rank=User.OfficerRank.PRIMARY)
            ]
            if number in with_backup:
                officers.append(
                    accounts.get(
                        f"{login}_b", Role.OFFICER, unit, office, rank=User.OfficerRank.BACKUP
                    )
                )
            lead_post = "党委委员、组织委员" if prefix == "town" else "分管党建工作负责人"
            lead = accounts.get(f"{login}_lead", Role.UNIT_LEADER, unit, lead_post)
            units.append(DemoUnit(spec, unit, officers, lead))
    # Last, so that adding it left every other account's generated name as it was.
    city_editor = accounts.get("city_editor", Role.EDITOR, city, "部办公室信息科科长")
    county = DemoCounty(
        dept=dept,
        city=city,
        units=units,
        editors=editors,
        leader=leader,
        city_editor=city_editor,
        accounts=accounts.seen,
        created_units=created_units,
        created_users=accounts.created,
    )
    county.by_code = {u.spec.code: u for u in units}
    return county


# ---------------------------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------------------------


@dataclass
class Step:
    kind: str  # MOVE, OFFICER_EDIT or EDITOR_EDIT
    actor: str  # OFFICER, LEADER or EDITOR
    hours: float  # after the previous step
    action: str = ""
    comment: str = ""


@dataclass
class Plan:
    unit: DemoUnit
    state: State
    created: datetime.datetime
    urgency: int
    category: str
    emergency: bool
    steps: list[Step] = field(default_factory=list)


class ItemGenerator:
    """Plans a year of items, performs them through the item services, then backdates them."""

    def __init__(
        self, county: DemoCounty, categories: dict[str, Category], rng: random.Random
    ) -> None:
        self.county = county
        self.categories = categories
        self.rng = rng
        self.now = timezone.now()
        # (real time right after a step was performed, its planned time), in performing order.
        self.marks: list[tuple[datetime.datetime, datetime.datetime]] = []
        self.titles: set[str] = set()
        self.office_close = last_office_moment(self.now - datetime.timedelta(minutes=2))
        for demo_unit in county.units:
            demo_unit.weight = self.unit_weight(demo_unit.spec)

    def unit_weight(self, spec: UnitSpec) -> float:
        """Some units write a lot, some hardly at all (they get 通报批评 at the year's end)."""
        special = {"YX-T01": 3.0, "YX-T02": 2.0, "YX-T18": 0.08, "YX-T21": 0.08}
        if spec.code in special:
            return special[spec.code]
        if spec.is_township:
            return self.rng.uniform(0.6, 1.8)
        return self.rng.uniform(0.2, 0.8)

    def run(self, count: int) -> int:
        plans = [self.showcase_plan(*entry) for entry in SHOWCASE]
        plans += [self.random_plan() for _ in range(count - len(plans))]
        plans.sort(key=lambda plan: plan.created)
        for plan in plans:
            plan.steps = self.plan_steps(plan)
            self.perform(plan)
        self.backdate()
        return len(plans)

    # -- planning ---------------------------------------------------------------------------

    def showcase_plan(self, code: str, state: State, days: float, urgency: Urgency) -> Plan:
        demo_unit = self.county.by_code[code]
        category = content.NEWS if urgency else self.pick_category()
        return Plan(
            demo_unit, state, self.created_at(days), urgency, category, emergency=bool(urgency)
        )

    def random_plan(self) -> Plan:
        rng = self.rng
        units = self.county.units
        demo_unit = rng.choices(units, weights=[u.weight for u in units])[0]
        days = rng.uniform(0, 21) if rng.random() < 0.07 else rng.uniform(0, 362)
        state = self.pick_state(days, demo_unit.spec)
        emergency = demo_unit.spec.front_line and state != State.DRAFT and rng.random() < 0.035
        if emergency:
            urgency = Urgency.VERY_URGENT if rng.random() < 0.3 else Urgency.URGENT
            return Plan(demo_unit, state, self.created_at(days), urgency, content.NEWS, True)
        category = self.pick_category()
        urgent = category == content.NEWS and rng.random() < 0.03
        urgency = Urgency.URGENT if urgent else Urgency.NORMAL
        return Plan(demo_unit, state, self.created_at(days), urgency, category, False)

    def pick_state(self, days: float, spec: UnitSpec) -> State:
        weights = next(table for limit, table in STATE_BY_AGE if days <= limit)
        state = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        if state == State.PENDING_SIGNOFF and not spec.requires_signoff:
            return State.SUBMITTED
        return state

    def pick_category(self) -> str:
        names = list(CATEGORY_WEIGHTS)
        return self.rng.choices(names, weights=list(CATEGORY_WEIGHTS.values()))[0]

    def created_at(self, days: float) -> datetime.datetime:
        """A time in office hours about ``days`` ago (a weekend day moves to a weekday before)."""
        local = timezone.localtime(self.now - datetime.timedelta(days=days))
        minute = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        local = local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59))
        if local.weekday() >= 5:  # to a weekday of the same or the previous week
            local -= datetime.timedelta(days=self.rng.randint(local.weekday() - 4, local.weekday()))
        while local > self.now - datetime.timedelta(hours=1) or local.weekday() >= 5:
            local -= datetime.timedelta(days=1)
        return local

    def plan_steps(self, plan: Plan) -> list[Step]:
        """The moves (and edits) that take a new draft to ``plan.state``. For a unit with 签发,
        a resubmission is signed off again and ends in ``submitted``, not ``resubmitted``."""
        rng = self.rng
        signoff = plan.unit.spec.requires_signoff
        pace = 0.05 if plan.urgency else 1.0
        steps: list[Step] = []

        def add(
            kind: str, actor: str, lo: float, hi: float, action: str = "", comment: str = ""
        ) -> None:
            steps.append(Step(kind, actor, rng.uniform(lo, hi) * pace, action, comment))

        def submit() -> None:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            if signoff:
                add(MOVE, LEADER, 0.5, 24, "approve")

        def review() -> None:
            if rng.random() < 0.3:
                add(EDITOR_EDIT, EDITOR, 0.5, 48)  # an editor's edit starts the review
            else:
                add(MOVE, EDITOR, 0.5, 48, "start_review")

        def return_and_resubmit() -> None:
            review()
            add(MOVE, EDITOR, 1, 48, "return", rng.choice(content.RETURN_COMMENTS))
            add(OFFICER_EDIT, OFFICER, 2, 72)
            add(MOVE, OFFICER, 0.1, 3, "resubmit")
            if signoff:
                add(MOVE, LEADER, 0.5, 24, "approve")

        state = plan.state
        if state == State.DRAFT:
            if signoff and rng.random() < 0.3:
                add(MOVE, OFFICER, 0.3, 30, "submit")
                add(
                    MOVE,
                    LEADER,
                    1,
                    24,
                    "reject_signoff",
                    rng.choice(content.SIGNOFF_REJECT_COMMENTS),
                )
            elif rng.random() < 0.15:
                add(MOVE, OFFICER, 0.3, 30, "submit")
                add(MOVE, OFFICER, 0.5, 20, "withdraw", content.WITHDRAW_COMMENT)
            return steps
        if signoff and rng.random() < 0.12:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            add(MOVE, LEADER, 1, 24, "reject_signoff", rng.choice(content.SIGNOFF_REJECT_COMMENTS))
            add(OFFICER_EDIT, OFFICER, 2, 48)
        elif not signoff and rng.random() < 0.04:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            add(MOVE, OFFICER, 0.5, 20, "withdraw", content.WITHDRAW_COMMENT)
            add(OFFICER_EDIT, OFFICER, 1, 24)
        if state == State.PENDING_SIGNOFF:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            return steps
        submit()
        if state == State.SUBMITTED:
            if signoff and rng.random() < 0.15:
                return_and_resubmit()
        elif state == State.RESUBMITTED:
            return_and_resubmit()
        elif state == State.IN_REVIEW:
            if rng.random() < 0.15:
                return_and_resubmit()
            review()
            if rng.random() < 0.2:
                add(EDITOR_EDIT, EDITOR, 0.2, 6)
        elif state == State.RETURNED:
            if rng.random() < 0.1:
                return_and_resubmit()
            if rng.random() < 0.7:
                review()
            add(MOVE, EDITOR, 1, 48, "return", rng.choice(content.RETURN_COMMENTS))
        else:  # adopted, declined, archived
            adopt = state == State.ADOPTED or (state == State.ARCHIVED and rng.random() < 0.7)
            if rng.random() < (0.2 if adopt else 0.1):
                return_and_resubmit()
            if rng.random() < 0.85:
                review()
            if adopt:
                add(MOVE, EDITOR, 2, 96, "adopt", rng.choice(content.ADOPT_COMMENTS))
            else:
                add(MOVE, EDITOR, 2, 96, "decline", rng.choice(content.DECLINE_COMMENTS))
            if state == State.ARCHIVED:
                add(MOVE, EDITOR, 48, 600, "archive")
        return steps

    def compose(self, plan: Plan) -> content.Draft:
        """The plan's text, with a title not used before where twenty tries can find one."""
        draft = self.draft(plan)
        for _ in range(19):
            if draft.title not in self.titles:
                break
            draft = self.draft(plan)
        self.titles.add(draft.title)
        return draft

    def draft(self, plan: Plan) -> content.Draft:
        day = timezone.localtime(plan.created).date()
        spec = plan.unit.spec
        if plan.emergency:
            return content.compose_emergency(self.rng, spec=spec, day=day)
        themes = content.themes_for(spec)
        if plan.category == content.OTHER and self.rng.random() < 0.6:
            themes = (content.THEMES_BY_KEY["info"],)
        theme = self.rng.choice(themes)
        return content.compose(self.rng, category=plan.category, theme=theme, spec=spec, day=day)

    # -- performing -------------------------------------------------------------------------

    def timeline(self, plan: Plan) -> list[datetime.datetime]:
        """Planned times of the steps: office hours unless urgent, never later than now (nor,
        unless urgent, than the last office hour before now)."""
        times: list[datetime.datetime] = []
        last = plan.created
        for step in plan.steps:
            at = last + datetime.timedelta(hours=step.hours)
            if not plan.urgency:
                at = max(self.to_office_hours(at), last + datetime.timedelta(minutes=1))
            times.append(at)
            last = at
        latest = self.now - datetime.timedelta(minutes=2)
        if not plan.urgency and self.office_close > plan.created:
            latest = self.office_close
        if times and times[-1] > latest:
            ratio = (latest - plan.created) / (times[-1] - plan.created)
            times = [plan.created + (at - plan.created) * ratio for at in times]
        return times

    def to_office_hours(self, at: datetime.datetime) -> datetime.datetime:
        """``at`` when it falls in office hours (08:30–18:00 on a weekday), otherwise a random
        time in the morning of the next working day."""
        local = timezone.localtime(at)
        if in_office_hours(local):
            return local
        if local.hour >= 18 or local.weekday() >= 5:
            local += datetime.timedelta(days=1)
        while local.weekday() >= 5:
            local += datetime.timedelta(days=1)
        minute = self.rng.randint(8 * 60 + 30, 11 * 60 + 30)
        return local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59))

    def perform(self, plan: Plan) -> None:
        rng = self.rng
        demo_unit = plan.unit
        draft = self.compose(plan)
        officer = demo_unit.officers[0]
        if len(demo_unit.officers) > 1 and rng.random() < 0.2:
            officer = demo_unit.officers[1]
        authors = [officer]
        if len(demo_unit.officers) > 1 and rng.random() < 0.1:
            authors = list(demo_unit.officers)
        co_units: list[Unit] = []
        if rng.random() < 0.03:
            partners = [
                u.unit
                for u in self.county.units
                if u.spec.is_township != demo_unit.spec.is_township
            ]
            co_units = [rng.choice(partners)]
        category = self.categories[plan.category]
        kind = content.EMERGENCY if plan.emergency else plan.category
        actors = {
            OFFICER: officer,
            LEADER: demo_unit.leader,
            EDITOR: rng.choice(self.county.editors),
        }

        def data(title: str, body: str) -> ItemData:
            return ItemData(
                title=title,
                body=body,
                category=category,
                urgency=plan.urgency,
                event_date=draft.event_date,
                keywords=draft.keywords,
                authors=authors,
                co_units=co_units,
            )

        item = item_create(actor=officer, data=data(draft.title, draft.body))
        self.marks.append((timezone.now(), plan.created))
        for step, at in zip(plan.steps, self.timeline(plan), strict=True):
            actor = actors[step.actor]
            if step.kind == MOVE:
                item = transition(item=item, actor=actor, action=step.action, comment=step.comment)
            elif step.kind == OFFICER_EDIT:
                body = content.officer_revise(rng, item.body, kind=kind)
                item = item_update(
                    item=item, actor=actor, data=data(item.title, body), version=item.version
                )
            else:
                title, body = content.editor_polish(item.title, item.body)
                item = item_update(
                    item=item, actor=actor, data=data(title, body), version=item.version
                )
            self.marks.append((timezone.now(), at))

    def backdate(self) -> None:
        """Move every timestamp the services wrote onto the planned timeline: a time written
        while performing step k becomes step k's planned time."""
        reals = [real for real, _ in self.marks]
        planned = [at for _, at in self.marks]

        def shift(real: datetime.datetime) -> datetime.datetime:
            return planned[min(bisect.bisect_left(reals, real), len(planned) - 1)]

        dept = self.county.dept
        items = list(
            Item.objects.filter(department=dept).only(
                "id", "created_at", "updated_at", "submitted_at", "decided_at"
            )
        )
        for item in items:
            item.created_at = shift(item.created_at)
            item.updated_at = shift(item.updated_at)
            item.submitted_at = shift(item.submitted_at) if item.submitted_at else None
            item.decided_at = shift(item.decided_at) if item.decided_at else None
        Item.objects.bulk_update(
            items, ["created_at", "updated_at", "submitted_at", "decided_at"], batch_size=250
        )
        events = list(ItemEvent.objects.filter(item__department=dept).only("id", "created_at"))
        for event in events:
            event.created_at = shift(event.created_at)
        ItemEvent.objects.bulk_update(events, ["created_at"], batch_size=500)
        revisions = list(Revision.objects.filter(item__department=dept).only("id", "created_at"))
        for revision in revisions:
            revision.created_at = shift(revision.created_at)
        Revision.objects.bulk_update(revisions, ["created_at"], batch_size=500)


def last_office_moment(at: datetime.datetime) -> datetime.datetime:
    """``at`` if it falls in office hours, else the last closing time (18:00) before it."""
    local = timezone.localtime(at)
    if in_office_hours(local):
        return local
    closing = local.replace(hour=18, minute=0, second=0, microsecond=0)
    if closing > local:
        closing -= datetime.timedelta(days=1)
    while closing.weekday() >= 5:
        closing -= datetime.timedelta(days=1)
    return closing


def in_office_hours(local: datetime.datetime) -> bool:
    """08:30–18:00 on a weekday, in the local time zone."""
    return local.weekday() < 5 and (8, 30) <= (local.hour, local.minute) < (18, 0)


# ---------------------------------------------------------------------------------------------
# Publications, forwarding and recognition
# ---------------------------------------------------------------------------------------------

PERIODICAL_DAYS = (12, 27)  # 《组工信息》 comes out about twice a month
BULLETIN_DAY = 5  # 《基层组织建设通报》, early in the month
COLUMN_WEEKDAY = 4  # the web column is updated on Fridays
BRIEFING_WEEKDAY = 2  # on Wednesdays the 换届 office sees whether a briefing is due
BRIEFING_MAX, BRIEFING_GAP = 5, 35  # at most five briefings, at least five weeks apart
INTERNAL_SHARE, INTERNAL_MAX = 40, 6  # one adopted item in forty is internal, at most six
FORWARDS, PENDING_FORWARDS, CITY_DECLINES, CITY_CARRIES = 15, 3, 2, 5
NOTICES_READ_AFTER = datetime.timedelta(days=10)  # older notices have been read
MERIT = {
    content.EMERGENCY: 4.0,
    content.EXPERIENCE: 3.0,
    content.RESEARCH: 2.5,
    content.PROBLEM: 2.0,
    content.NEWS: 1.0,
    content.OTHER: 0.5,
}


@dataclass(eq=False)
class Adopted:
    """An item the county department adopted, as the publishing plan sees it."""

    item: Item
    decided_at: datetime.datetime  # local time
    aim: content.PublicationSpec | None  # where the adopting editor said it would go
    kind: str  # its category's name, or ``content.EMERGENCY`` for an emergency report
    merit: float  # how good: decides what is forwarded and recognized
    carried_on: datetime.date | None = None  # first issue of a printed publication carrying it
    on_web: bool = False
    forwarding: Forwarding | None = None

    @property
    def decided(self) -> datetime.date:
        return self.decided_at.date()

    @property
    def carried_day(self) -> datetime.date:
        """The day it was first carried; asked only of carried items."""
        if self.carried_on is None:
            raise ValueError(f"item {self.item.pk} has not been carried")
        return self.carried_on

    @property
    def election(self) -> bool:
        return content.ELECTION_KEYWORD in self.item.keywords


@dataclass
class Published:
    spec: content.PublicationSpec
    day: datetime.date
    at: datetime.datetime
    entries: list[Adopted]


@dataclass
class PublishingSummary:
    """What the publishing part made."""

    publications: int = 0
    issues: int = 0
    forwardings: int = 0
    adoptions: int = 0
    instructions: int = 0


class PublishingGenerator:
    """Sets up the county department's publications (and the city's 《澜江组工》), publishes about
    a year of issues from the county's adopted items, leaves one issue being compiled, forwards
    the best items to the city (which adopts most, carries some and has a few still to decide),
    and records upper-level adoptions and leaders' instructions.

    Everything goes through the publishing services, in date order (issue numbers are given at
    publication). Right after each call the rows it wrote, and the in-app notices it sent, are
    moved onto the planned time; notices older than ``NOTICES_READ_AFTER`` are marked read.
    """

    def __init__(self, county: DemoCounty, rng: random.Random) -> None:
        self.county = county
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.editor = county.editors[0]
        self.publications: dict[content.PublicationSpec, Publication] = {}
        self.published: list[Published] = []
        self.briefings: list[datetime.date] = []
        self.made = PublishingSummary()
        self.notice_mark = self.last_notice()

    def run(self) -> PublishingSummary:
        self.create_publications()
        adopted = self.load_adopted()
        self.mark_internal(adopted)
        if adopted:
            first = adopted[0].decided + datetime.timedelta(days=3)
            for spec, day in self.schedule(first, self.today - datetime.timedelta(days=2)):
                entries = self.pick(spec, day, adopted)
                if entries:
                    self.publish(spec, day, entries)
        self.compile_draft(adopted)
        forwarded = self.forward(adopted)
        self.city_issue(forwarded)
        self.record_adoptions(adopted, forwarded)
        return self.made

    # -- setting up -------------------------------------------------------------------------

    def create_publications(self) -> None:
        for order, spec in enumerate(content.COUNTY_PUBLICATIONS, start=1):
            publication = Publication(
                department=self.county.dept,
                name=spec.name,
                kind=spec.kind,
                distribution=spec.distribution,
                sort_order=order,
            )
            if spec is content.ZUGONG:  # a running periodical brought into xinbao
                publication.last_year = self.today.year - 1
                publication.last_number = content.ZUGONG_LAST_NUMBER
                publication.last_total_number = content.ZUGONG_LAST_TOTAL
            self.publications[spec] = self.save_publication(publication)

    def save_publication(self, publication: Publication) -> Publication:
        publication.full_clean()
        publication.save()
        audit_record(
            actor=None,
            action="publication.create",
            obj=publication,
            changes={"department": publication.department.code, "source": "demo_data"},
        )
        self.made.publications += 1
        return publication

    def load_adopted(self) -> list[Adopted]:
        """The county's adopted items (also those archived since), oldest decision first."""
        dept = self.county.dept
        aims = dict(
            ItemEvent.objects.filter(item__department=dept, action="adopt").values_list(
                "item_id", "comment"
            )
        )
        items = (
            Item.objects.filter(
                department=dept,
                pk__in=list(aims),
                state__in=ADOPTED_STATES,
                decided_at__isnull=False,
            )
            .select_related("unit", "category")
            .order_by("decided_at", "pk")
        )
        adopted = []
        for item in items:
            if item.decided_at is None:  # filtered out above; this tells the type checker
                continue
            emergency = content.EMERGENCY_KEYWORD in item.keywords
            kind = content.EMERGENCY if emergency else item.category.name
            adopted.append(
                Adopted(
                    item=item,
                    decided_at=timezone.localtime(item.decided_at),
                    aim=aim_of(aims[item.pk]),
                    kind=kind,
                    merit=MERIT.get(kind, 1.0) + self.rng.uniform(0, 2),
                )
            )
        return adopted

    def mark_internal(self, adopted: list[Adopted]) -> None:
        """A handful of problem reports and surveys are not for the public website."""
        pool = [a for a in adopted if a.kind in (content.PROBLEM, content.RESEARCH)]
        count = min(INTERNAL_MAX, max(1, len(adopted) // INTERNAL_SHARE), len(pool))
        for chosen in self.rng.sample(pool, count):
            Item.objects.filter(pk=chosen.item.pk).update(is_internal=True)
            chosen.item.is_internal = True
            audit_record(
                actor=None,
                action="item.mark_internal",
                obj=chosen.item,
                changes={"is_internal": [False, True], "source": "demo_data"},
            )

    # -- the county's issues ----------------------------------------------------------------

    def schedule(
        self, first: datetime.date, last: datetime.date
    ) -> list[tuple[content.PublicationSpec, datetime.date]]:
        """Planned issue days between ``first`` and ``last``, in date order; a briefing slot is
        only a chance to publish one."""
        rng = self.rng
        slots: list[tuple[content.PublicationSpec, datetime.date]] = []
        month = first.replace(day=1)
        while month <= last:
            for day_of_month in PERIODICAL_DAYS:
                shifted = month.replace(day=day_of_month) + datetime.timedelta(
                    days=rng.randint(-2, 2)
                )
                slots.append((content.ZUGONG, workday(shifted)))
            shifted = month.replace(day=BULLETIN_DAY) + datetime.timedelta(days=rng.randint(0, 3))
            slots.append((content.BULLETIN, workday(shifted)))
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        day = first
        while day <= last:
            if day.weekday() == COLUMN_WEEKDAY:
                slots.append((content.WEB_COLUMN, day))
            if day.weekday() == BRIEFING_WEEKDAY:
                slots.append((content.BRIEFING, day))
            day += datetime.timedelta(days=1)
        order = {spec: n for n, spec in enumerate(content.COUNTY_PUBLICATIONS)}
        return sorted(
            (slot for slot in slots if first <= slot[1] <= last),
            key=lambda slot: (slot[1], order[slot[0]]),
        )

    def pick(
        self, spec: content.PublicationSpec, day: datetime.date, adopted: list[Adopted]
    ) -> list[Adopted]:
        """The items an issue of ``spec`` on ``day`` carries, lead item first; none when there
        is not enough fresh material (the slot is then skipped)."""
        rng = self.rng

        def fresh(days: int) -> list[Adopted]:
            since = day - datetime.timedelta(days=days)
            return [a for a in adopted if since <= a.decided < day]

        def aimed(a: Adopted, here: float, elsewhere: float) -> float:
            if a.aim is None:
                return 1.0
            return here if a.aim is spec else elsewhere

        if spec is content.ZUGONG:
            pool = [a for a in fresh(40) if a.carried_on is None]
            weights = [
                aimed(a, 3, 0.3)
                * (3 if a.kind == content.EMERGENCY else 1)
                * (0.15 if a.election else 1)
                * (0.5 + a.merit / 4)
                for a in pool
            ]
            if len(pool) < 3:
                return []
            picked = weighted_sample(rng, pool, weights, rng.randint(3, 5))
            return sorted(picked, key=lambda a: (a.kind != content.EMERGENCY, -a.merit))
        if spec is content.BULLETIN:
            pool = [a for a in fresh(45) if a.carried_on is None and a.kind != content.EMERGENCY]
            weights = [
                aimed(a, 4, 0.3)
                * (3 if any(k in a.item.keywords for k in content.BULLETIN_KEYWORDS) else 1)
                * (0.3 if a.election else 1)
                for a in pool
            ]
            if len(pool) < 2:
                return []
            picked = weighted_sample(rng, pool, weights, rng.randint(2, 3))
            return sorted(picked, key=lambda a: -a.merit)
        if spec is content.BRIEFING:
            if len(self.briefings) >= BRIEFING_MAX or (
                self.briefings and (day - self.briefings[-1]).days < BRIEFING_GAP
            ):
                return []
            pool = [a for a in fresh(75) if a.carried_on is None and a.election]
            if len(pool) < 2:
                return []
            self.briefings.append(day)
            return sorted(rng.sample(pool, min(len(pool), 4)), key=lambda a: a.decided_at)
        pool = [a for a in fresh(21) if not a.on_web and not a.item.is_internal]
        weights = [aimed(a, 4, 1) * (1 if a.carried_on else 1.5) for a in pool]
        return weighted_sample(rng, pool, weights, rng.randint(1, 3))

    def publish(
        self, spec: content.PublicationSpec, day: datetime.date, entries: list[Adopted]
    ) -> None:
        rng, editor = self.rng, self.editor
        issue = issue_create(publication=self.publications[spec], actor=editor)
        for position, adopted in enumerate(entries):
            entry = issue_add_item(issue=issue, item=adopted.item, actor=editor)
            note = self.editor_note(spec, position, adopted)
            if note:
                entry_update(
                    entry=entry,
                    actor=editor,
                    headline=entry.headline,
                    text=entry.text,
                    editor_note=note,
                    source_line=entry.source_line,
                )
        issue = issue_update_meta(
            issue=issue,
            actor=editor,
            title="",
            issue_date=day,
            compiler=issue.compiler,
            signer=self.county.leader.display_name,
            distribution=issue.distribution,
        )
        issue = issue_publish(issue=issue, actor=editor)
        web = spec is content.WEB_COLUMN
        started = day if web else workday(day - datetime.timedelta(days=rng.randint(2, 5)))
        published = self.office_time(day, (14, 0), (17, 40))
        self.date_issue(issue, self.office_time(started, (8, 40), (11, 30)), published)
        for adopted in entries:
            if web:
                adopted.on_web = True
            elif adopted.carried_on is None:
                adopted.carried_on = day
        self.published.append(Published(spec, day, published, entries))

    def editor_note(self, spec: content.PublicationSpec, position: int, adopted: Adopted) -> str:
        """Now and then a 编者按 on the lead item of 《组工信息》 or the bulletin."""
        chance = {content.ZUGONG: 0.35, content.BULLETIN: 0.5}.get(spec, 0.0)
        notes = content.EDITOR_NOTES.get(adopted.kind, ())
        if position or not notes or self.rng.random() >= chance:
            return ""
        return self.rng.choice(notes).format(unit=adopted.item.unit.display_name)

    def compile_draft(self, adopted: list[Adopted]) -> None:
        """The next 《组工信息》, begun on the last working day with the two latest adoptions
        not yet carried, dated for its regular day; not signed off yet."""
        started = self.when(workday(self.today - datetime.timedelta(days=1)))
        before = [a for a in adopted if a.decided_at < started]
        waiting = [a for a in before if a.carried_on is None][-2:]
        if len(waiting) < 2:
            waiting = before[-2:]
        if not waiting:
            return
        issue = issue_create(publication=self.publications[content.ZUGONG], actor=self.editor)
        for entry in sorted(waiting, key=lambda a: -a.merit):
            issue_add_item(issue=issue, item=entry.item, actor=self.editor)
        month = self.today.replace(day=1)
        days = [month.replace(day=d) for d in PERIODICAL_DAYS]
        days += [(month + datetime.timedelta(days=32)).replace(day=d) for d in PERIODICAL_DAYS]
        due = next(day for day in days if day > self.today + datetime.timedelta(days=1))
        issue_update_meta(
            issue=issue,
            actor=self.editor,
            title="",
            issue_date=next_workday(due),
            compiler=issue.compiler,
            signer="",
            distribution=issue.distribution,
        )
        PublicationIssue.objects.filter(pk=issue.pk).update(created_at=started)

    # -- forwarding to the city -------------------------------------------------------------

    def forward(self, adopted: list[Adopted]) -> list[Adopted]:
        """Send the best carried items up to the city; the city decides all but the latest
        few. Returns the forwarded ones, in the order they were sent."""
        rng = self.rng
        periodicals = [p for p in self.published if p.spec is content.ZUGONG]
        if not periodicals:
            return []
        recent = periodicals[-PENDING_FORWARDS:]
        pending: list[Adopted] = []
        for issue in recent:
            best = max(issue.entries, key=lambda a: a.merit)
            if best not in pending:
                pending.append(best)
        cutoff = recent[0].day - datetime.timedelta(days=14)
        older = [
            a
            for a in adopted
            if a.carried_on is not None and a.carried_on < cutoff and a not in pending
        ]
        decided = weighted_sample(rng, older, [a.merit**2 for a in older], FORWARDS - len(pending))
        decided.sort(key=lambda a: (a.carried_on, a.decided_at))
        declines = set(
            sorted(decided, key=lambda a: a.merit)[: min(CITY_DECLINES, len(decided) // 5)]
        )
        sent: list[tuple[Adopted, Forwarding]] = []
        for forwarded in decided + pending:
            issue = next(
                p
                for p in self.published
                if p.spec is not content.WEB_COLUMN and forwarded in p.entries
            )
            at = self.when(issue.day + datetime.timedelta(days=rng.randint(1, 4)), after=issue.at)
            notes: tuple[str, ...] = content.FORWARD_NOTES
            if forwarded.kind != content.EXPERIENCE:
                notes = content.FORWARD_NOTES_OTHER
            forwarding = item_forward(
                item=forwarded.item, actor=self.editor, note=rng.choice(notes)
            )
            Forwarding.objects.filter(pk=forwarding.pk).update(forwarded_at=at)
            forwarding.forwarded_at = at
            forwarded.forwarding = forwarding
            sent.append((forwarded, forwarding))
            self.made.forwardings += 1
        for forwarded, forwarding in sent[: len(decided)]:
            decided_on = timezone.localdate(forwarding.forwarded_at) + datetime.timedelta(
                days=rng.randint(1, 6)
            )
            at = self.when(decided_on, after=forwarding.forwarded_at)
            adopt = forwarded not in declines
            comments = content.CITY_ADOPT_COMMENTS if adopt else content.CITY_DECLINE_COMMENTS
            forwarding = forwarding_decide(
                forwarding=forwarding,
                actor=self.county.city_editor,
                adopt=adopt,
                comment=rng.choice(comments),
            )
            Forwarding.objects.filter(pk=forwarding.pk).update(decided_at=at)
            forwarding.decided_at = at
            forwarded.forwarding = forwarding
            self.date_notices(at)
        return decided + pending

    def city_issue(self, forwarded: list[Adopted]) -> None:
        """《澜江组工》 carries the city's latest adoptions from the county."""
        adopted = [
            a
            for a in forwarded
            if a.forwarding is not None and a.forwarding.state == Forwarding.State.ADOPTED
        ]
        carried = sorted(adopted, key=self.city_decided)[-CITY_CARRIES:]
        if not carried:
            self.city_publication(self.today)
            return
        last = self.city_decided(carried[-1])
        day = next_workday(last.date() + datetime.timedelta(days=self.rng.randint(2, 6)))
        day = max(min(day, self.today - datetime.timedelta(days=1)), last.date())
        publication = self.city_publication(day)
        if (publication.last_year or 0) > day.year:
            return  # someone set the counters past this year: leave it
        city_editor = self.county.city_editor
        issue = issue_create(publication=publication, actor=city_editor)
        for entry in sorted(carried, key=lambda a: -a.merit):
            issue_add_item(issue=issue, item=entry.item, actor=city_editor)
        issue = issue_update_meta(
            issue=issue,
            actor=city_editor,
            title="",
            issue_date=day,
            compiler=issue.compiler,
            signer=content.CITY_SIGNER,
            distribution=issue.distribution,
        )
        issue = issue_publish(issue=issue, actor=city_editor)
        published = self.when(day, after=last, start=(15, 0), end=(17, 30))
        started = min(self.office_time(day, (8, 40), (11, 0)), published)
        self.date_issue(issue, started, published)

    def city_publication(self, day: datetime.date) -> Publication:
        """《澜江组工》, created when absent with counters for about two issues a month so far."""
        spec = content.CITY_PUBLICATION
        existing = Publication.objects.filter(department=self.county.city, name=spec.name).first()
        if existing is not None:
            return existing
        so_far = 2 * (day.month - 1) + (1 if day.day > 15 else 0)
        publication = Publication(
            department=self.county.city,
            name=spec.name,
            kind=spec.kind,
            distribution=spec.distribution,
            last_year=day.year,
            last_number=so_far,
            last_total_number=content.CITY_TOTAL_BEFORE_YEAR + so_far,
            sort_order=1,
        )
        return self.save_publication(publication)

    def city_decided(self, adopted: Adopted) -> datetime.datetime:
        """When the city decided on the item; asked only of decided forwardings."""
        forwarding = adopted.forwarding
        if forwarding is None or forwarding.decided_at is None:
            raise ValueError(f"item {adopted.item.pk} has no decided forwarding")
        return timezone.localtime(forwarding.decided_at)

    # -- recognition from above -------------------------------------------------------------

    def record_adoptions(self, adopted: list[Adopted], forwarded: list[Adopted]) -> None:
        """About a dozen adoptions by upper-level outlets and half a dozen instructions.

        Items the city adopted go on to the province's 《组工信息》 (the best one even to
        中组部); the media pick up carried items; leaders write on items in 《组工信息》 or
        on the ones that went up."""
        rng = self.rng
        by_city = sorted(
            (
                a
                for a in forwarded
                if a.forwarding and a.forwarding.state == Forwarding.State.ADOPTED
            ),
            key=lambda a: -a.merit,
        )
        carried = [a for a in adopted if a.carried_on is not None]
        adoptions: list[tuple[datetime.date, Adopted, content.Outlet]] = []
        instructions: list[tuple[datetime.date, Adopted, content.Leader]] = []

        def after(base: datetime.date, lo: int, hi: int) -> datetime.date:
            day = base + datetime.timedelta(days=rng.randint(lo, hi))
            return max(base, min(day, self.today - datetime.timedelta(days=1)))

        province: list[tuple[datetime.date, Adopted]] = []
        for item in by_city[:5]:
            day = after(self.city_decided(item).date(), 10, 35)
            province.append((day, item))
            adoptions.append((day, item, content.PROVINCE_ZUGONG))
        if len(province) >= 3:
            day, item = province[0]
            adoptions.append((after(day, 15, 40), item, content.CENTRAL_ZUGONG))
        if carried:
            emergencies = [a for a in carried if a.kind == content.EMERGENCY] or carried
            best = max(emergencies, key=lambda a: a.merit)
            adoptions.append((after(best.carried_day, 2, 10), best, content.PARTY_WEBSITE))
        taken = {a for _, a, _ in adoptions}
        media_pool = [a for a in carried if a not in taken and a.kind != content.PROBLEM]
        paper, city_paper, city_tv, province_tv = content.MEDIA
        outlets = (paper, city_paper, city_tv, city_paper, province_tv)
        picked = weighted_sample(rng, media_pool, [a.merit for a in media_pool], len(outlets))
        for item, outlet in zip(picked, outlets, strict=False):
            adoptions.append((after(item.carried_day, 1, 12), item, outlet))

        went_up = [a for _, a in province]
        in_zugong = [a for p in self.published if p.spec is content.ZUGONG for a in p.entries]
        county_pool = sorted((a for a in in_zugong if a not in went_up), key=lambda a: -a.merit)
        problems = [a for a in county_pool if a.kind in (content.PROBLEM, content.RESEARCH)]
        county_picks = county_pool[:2] + [a for a in problems if a not in county_pool[:2]][:1]
        for item, leader in zip(
            county_picks,
            (content.COUNTY_SECRETARY, content.COUNTY_SECRETARY, content.COUNTY_DEPUTY),
            strict=False,
        ):
            instructions.append((after(item.carried_day, 1, 6), item, leader))
        for item, leader in zip(
            by_city[1:3], (content.CITY_DEPUTY, content.CITY_ORG_HEAD), strict=False
        ):
            instructions.append((after(self.city_decided(item).date(), 3, 15), item, leader))
        if province:
            day, item = province[min(1, len(province) - 1)]
            instructions.append((after(day, 3, 20), item, content.PROVINCE_ORG_HEAD))

        for day, item, outlet in sorted(adoptions, key=lambda entry: entry[0]):
            if outlet.kind == ExternalAdoption.Kind.PUBLICATION:  # these come out on weekdays
                day = workday(day)
            adoption = external_adoption_record(
                item=item.item,
                actor=self.editor,
                kind=outlet.kind,
                level=outlet.level,
                outlet=outlet.name,
                issue_label=self.issue_label(outlet, day),
                adopted_on=day,
            )
            at = self.recorded_at(day)
            ExternalAdoption.objects.filter(pk=adoption.pk).update(recorded_at=at)
            self.date_notices(at)
            self.made.adoptions += 1
        for day, item, leader in sorted(instructions, key=lambda entry: entry[0]):
            kind = item.kind
            if kind not in (content.EMERGENCY, content.PROBLEM):
                kind = content.PROBLEM if kind == content.RESEARCH else content.EXPERIENCE
            unit = item.item.unit
            instruction = instruction_record(
                item=item.item,
                actor=self.editor,
                level=leader.level,
                leader_title=leader.title,
                leader_name=leader.name,
                instructed_on=day,
                text=rng.choice(content.INSTRUCTIONS[(leader.level, kind)]).format(
                    unit=unit.display_name if leader.level == "county" else full_name(unit),
                    county=content.COUNTY_NAME,
                ),
            )
            at = self.recorded_at(day)
            Instruction.objects.filter(pk=instruction.pk).update(recorded_at=at)
            self.date_notices(at)
            self.made.instructions += 1

    def issue_label(self, outlet: content.Outlet, day: datetime.date) -> str:
        if outlet is content.PROVINCE_ZUGONG:  # weekly
            number = (day.timetuple().tm_yday - 1) // 7 + 1
        else:  # twice a month
            number = 2 * (day.month - 1) + (1 if day.day <= 15 else 2)
        page = self.rng.choice((1, 3, 4, 4, 5, 6))
        return outlet.label.format(
            year=day.year, month=day.month, day=day.day, number=number, page=page
        )

    def recorded_at(self, day: datetime.date) -> datetime.datetime:
        """When the editor learnt of it and recorded it: within a few working days."""
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))
        return self.when(day + datetime.timedelta(days=self.rng.randint(0, 3)), after=start)

    # -- time -------------------------------------------------------------------------------

    def office_time(
        self,
        day: datetime.date,
        start: tuple[int, int] = (8, 40),
        end: tuple[int, int] = (17, 40),
    ) -> datetime.datetime:
        minute = self.rng.randint(start[0] * 60 + start[1], end[0] * 60 + end[1])
        at = datetime.time(minute // 60, minute % 60, self.rng.randint(0, 59))
        return timezone.make_aware(datetime.datetime.combine(day, at))

    def when(
        self,
        day: datetime.date,
        *,
        after: datetime.datetime | None = None,
        start: tuple[int, int] = (8, 40),
        end: tuple[int, int] = (17, 40),
    ) -> datetime.datetime:
        """A time in office hours on ``day`` (the next working day if it is not one, the last
        one if that is still to come), later than ``after`` and earlier than now."""
        day = next_workday(day)
        if day > self.today:
            day = workday(self.today)
        at = self.office_time(day, start, end)
        if after is not None and at <= after:
            at = after + datetime.timedelta(minutes=self.rng.randint(20, 120))
        return min(at, self.now - datetime.timedelta(minutes=10))

    def date_issue(
        self, issue: PublicationIssue, started: datetime.datetime, published: datetime.datetime
    ) -> None:
        PublicationIssue.objects.filter(pk=issue.pk).update(
            created_at=started, published_at=published
        )
        self.date_notices(published)
        self.made.issues += 1

    def last_notice(self) -> int:
        return Notification.objects.aggregate(last=Max("pk"))["last"] or 0

    def date_notices(self, at: datetime.datetime) -> None:
        """Give the notices sent since the last call the time ``at``."""
        read_at = None
        if at < self.now - NOTICES_READ_AFTER:
            read_at = at + datetime.timedelta(hours=self.rng.uniform(0.5, 30))
        Notification.objects.filter(pk__gt=self.notice_mark).update(created_at=at, read_at=read_at)
        self.notice_mark = self.last_notice()


def aim_of(comment: str) -> content.PublicationSpec | None:
    """The publication an adopting editor's comment names (“拟编入《组工信息》。”)."""
    for spec in sorted(content.COUNTY_PUBLICATIONS, key=lambda s: -len(s.name)):
        if spec.name in comment:
            return spec
    return None


def full_name(unit: Unit) -> str:
    """The unit as people above the county name it: 云溪县城关镇, 中共云溪县委办公室."""
    if content.COUNTY_NAME in unit.name:
        return unit.name
    return content.COUNTY_NAME + unit.name


def weighted_sample(
    rng: random.Random, pool: list[Adopted], weights: list[float], k: int
) -> list[Adopted]:
    """Up to ``k`` distinct members of ``pool``, drawn with the given weights."""
    pool, weights = list(pool), list(weights)
    picked: list[Adopted] = []
    while pool and len(picked) < k:
        index = rng.choices(range(len(pool)), weights=weights)[0]
        picked.append(pool.pop(index))
        weights.pop(index)
    return picked


def workday(day: datetime.date) -> datetime.date:
    """``day``, or the Friday before when it falls on a weekend."""
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def next_workday(day: datetime.date) -> datetime.date:
    """``day``, or the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day
