"""The demo county's units and accounts: the city and county organization departments, the
townships and county departments under them, and every demo login. Units are looked up by code and
accounts by username, and created only when absent; existing ones are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management.base import CommandError

from xinbao.audit.services import audit_record
from xinbao.orgs.demo import content
from xinbao.orgs.demo.content import UnitSpec
from xinbao.orgs.models import Role, Unit, User
from xinbao.orgs.services import unit_save

DEMO_PASSWORD = "Xinbao@2026"  # noqa: S105 - the documented password of every demo account

# Django admin rights of the administrator accounts (三员: the audit administrator gets none).
ADMIN_PERMISSIONS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "admin": (
        ("orgs", "unit", ("add", "change", "view")),
        ("orgs", "user", ("add", "change", "view")),
        ("items", "category", ("add", "change", "view")),
    ),
    "secadmin": (("orgs", "user", ("change", "view")),),
}


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
    spec: UnitSpec,
    *,
    kind: str,
    parent: Unit | None,
    level: str = "",
    order: int = 0,
    assessment_class: str = "",
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
        assessment_class=assessment_class,
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
            klass = content.DEPARTMENT_CLASSES.get(number, "") if prefix == "dept" else ""
            unit, created = ensure_unit(
                spec, kind=kind, parent=dept, order=order_base + number, assessment_class=klass
            )
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
