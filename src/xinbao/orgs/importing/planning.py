"""Checking an import and computing its plan: every row on its own, then the file as a whole
against the database (duplicates, missing parents, cycles, levels, accounts), then each row's
unit and officer as created, updated or unchanged, with the tree derived in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from xinbao.orgs.importing.reading import (
    BOOL_WORDS,
    COLUMNS,
    IGNORED_COLUMNS,
    KIND_WORDS,
    LEVEL_WORDS,
    OFFICER_FIELDS,
    RANK_WORDS,
    REQUIRED,
    english_name,
    fold,
    header_key,
)
from xinbao.orgs.importing.results import (
    CREATE,
    UNCHANGED,
    UPDATE,
    FieldChange,
    ImportResult,
    OfficerPlan,
    UnitImportError,
    UnitPlan,
)
from xinbao.orgs.models import DEPARTMENT_ROLES, Role, Unit, User
from xinbao.orgs.services import derive_tree_fields

MAX_ROWS = 20_000

UNIT_FIELDS = ("name", "short_name", "kind", "level", "parent", "requires_signoff", "is_active")
OFFICER_MODEL_FIELDS = ("full_name", "officer_rank", "phone", "unit")


@dataclass
class _Row:
    number: int
    code: str
    name: str
    kind: str
    parent_code: str
    level: str | None
    short_name: str | None
    requires_signoff: bool | None
    is_active: bool | None
    officer_username: str
    officer_name: str | None
    officer_rank: str | None
    phone: str | None


class _Messages:
    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []

    def add(self, row: int, message: str) -> None:
        self.items.append((row, _("第 %(row)d 行:%(message)s") % {"row": row, "message": message}))

    def raise_if_any(self) -> None:
        if self.items:
            raise UnitImportError([text for _row, text in sorted(self.items, key=lambda i: i[0])])


class Importer:
    """Holds one import between planning and writing (``writing.apply``). With ``lock`` (inside
    the writing transaction) the units and accounts it reads are locked until the transaction
    ends, so a concurrent edit cannot be overwritten by the plan (PostgreSQL; SQLite's writer
    already holds the database lock)."""

    def __init__(self, table: list[tuple[int, list[str]]], *, lock: bool) -> None:
        self.table = table
        self.lock = lock
        self.messages = _Messages()
        self.headers: dict[str, str] = {}  # field → header text as written in the file
        self.columns: dict[str, int] = {}
        self.rows: list[_Row] = []
        self.units: dict[str, Unit] = {}  # every unit by code: existing, updated in place, or new
        self.parent_of: dict[str, str] = {}  # final parent code of every unit ("" = top level)
        self.before: dict[str, dict[str, str]] = {}  # existing units' display values before
        self.new_codes: set[str] = set()
        self.org_depts_before: set[str] = set()
        self.depth: dict[str, int] = {}
        self.users: dict[str, User] = {}
        self.new_users: list[User] = []
        self.changed_users: list[User] = []
        self.changed_units: list[Unit] = []

    def column(self, name: str) -> str:
        return self.headers.get(name) or COLUMNS[name][0]

    # Planning --------------------------------------------------------------------------------

    def plan(self, *, dry_run: bool) -> ImportResult:
        if not self.table:
            raise UnitImportError([_("文件是空的。")])
        header_number, header = self.table[0]
        self._map_header(header_number, header)
        self.messages.raise_if_any()
        data_rows = self.table[1:]
        if not data_rows:
            raise UnitImportError([_("文件中没有数据行。")])
        if len(data_rows) > MAX_ROWS:
            raise UnitImportError([_("一次最多导入 %(max)d 行。") % {"max": MAX_ROWS}])
        for number, cells in data_rows:
            self._parse_row(number, cells)
        self._check_file_against_database()
        self.messages.raise_if_any()
        units = self._build_units()
        self.messages.raise_if_any()
        officers = self._build_officers()
        self.messages.raise_if_any()
        updated = {plan.code for plan in units if plan.action == UPDATE}
        # Units whose own row did not change (or that are not in the file) but whose path or
        # department follows from a change above them.
        rederived = sum(1 for unit in self.changed_units if unit.code not in updated)
        return ImportResult(units=units, officers=officers, dry_run=dry_run, rederived=rederived)

    def _map_header(self, number: int, header: list[str]) -> None:
        aliases = {
            header_key(alias): name
            for name, (chinese, others) in COLUMNS.items()
            for alias in (chinese, *others)
        }
        for index, text in enumerate(header):
            key = header_key(text)
            if not key or key in IGNORED_COLUMNS:
                continue
            name = aliases.get(key)
            if name is None:
                self.messages.add(number, _("无法识别的列名“%(column)s”。") % {"column": text})
            elif name in self.columns:
                self.messages.add(number, _("列“%(column)s”重复。") % {"column": text})
            else:
                self.columns[name], self.headers[name] = index, text
        for name in REQUIRED:
            if name not in self.columns:
                self.messages.add(
                    number,
                    _("缺少必需的列“%(column)s”(%(english)s)。")
                    % {"column": COLUMNS[name][0], "english": english_name(name)},
                )

    def _parse_row(self, number: int, cells: list[str]) -> None:
        def cell(name: str) -> str:
            index = self.columns.get(name)
            return cells[index] if index is not None and index < len(cells) else ""

        code = fold(cell("code"))
        parent_code = fold(cell("parent_code"))
        name = " ".join(cell("name").split())
        for column, value in (("code", code), ("parent_code", parent_code)):
            if value and (any(ch.isspace() for ch in value) or "/" in value):
                self.messages.add(
                    number,
                    _("%(column)s“%(value)s”不能包含空格或“/”。")
                    % {"column": self.column(column), "value": value},
                )
        for column, value in (("code", code), ("name", name), ("kind", cell("kind"))):
            if not value:
                self.messages.add(
                    number, _("%(column)s不能为空。") % {"column": self.column(column)}
                )
        self._check_length(number, "code", code, Unit, "code")
        self._check_length(number, "name", name, Unit, "name")
        short_name = " ".join(cell("short_name").split()) or None
        self._check_length(number, "short_name", short_name, Unit, "short_name")
        kind = self._choice(
            number, "kind", cell("kind"), KIND_WORDS, _("组织部门、乡镇、部门、其他")
        )
        level = self._choice(
            number, "level", cell("level"), LEVEL_WORDS, _("中央、省级、市级、县级")
        )
        if kind and kind != Unit.Kind.ORG_DEPT and level:
            self.messages.add(
                number, _("只有组织部门才能填写%(column)s。") % {"column": self.column("level")}
            )
        yes_no = _("是、否")
        signoff = self._choice(
            number, "requires_signoff", cell("requires_signoff"), BOOL_WORDS, yes_no
        )
        active = self._choice(number, "is_active", cell("is_active"), BOOL_WORDS, yes_no)
        username = fold(cell("officer_username"))
        if not username and any(cell(name) for name in OFFICER_FIELDS):
            self.messages.add(
                number,
                _("填写了信息员信息,但%(column)s为空。")
                % {"column": self.column("officer_username")},
            )
        officer_name = " ".join(cell("officer_name").split()) or None
        phone = fold(cell("phone")) or None
        self._check_length(number, "officer_username", username, User, "username")
        self._check_length(number, "officer_name", officer_name, User, "full_name")
        self._check_length(number, "phone", phone, User, "phone")
        rank = self._choice(
            number,
            "officer_rank",
            cell("officer_rank"),
            RANK_WORDS,
            _("主信息员、信息员、后备信息员"),
        )
        if username:
            try:
                User.username_validator(username)
            except ValidationError:
                self.messages.add(
                    number,
                    _("%(column)s“%(value)s”无效:只能包含字母、数字和 @ . + - _。")
                    % {"column": self.column("officer_username"), "value": username},
                )
        self.rows.append(
            _Row(
                number=number,
                code=code,
                name=name,
                kind=kind or "",
                parent_code=parent_code,
                level=level,
                short_name=short_name,
                requires_signoff=signoff,
                is_active=active,
                officer_username=username,
                officer_name=officer_name,
                officer_rank=rank,
                phone=phone,
            )
        )

    def _check_length(
        self, number: int, column: str, value: str | None, model: type[Any], field_name: str
    ) -> None:
        limit = _max_length(model, field_name)
        if value and limit and len(value) > limit:
            self.messages.add(
                number,
                _("%(column)s不能超过 %(max)d 个字(现有 %(length)d 个)。")
                % {"column": self.column(column), "max": limit, "length": len(value)},
            )

    def _choice(
        self, number: int, column: str, text: str, words: dict[str, Any], expected: str
    ) -> Any:
        """The choice ``text`` names, ``None`` for a blank cell; an unknown one is reported."""
        if not text:
            return None
        value = words.get(fold(text).lower())
        if value is None:
            self.messages.add(
                number,
                _("%(column)s“%(value)s”无法识别,应为:%(expected)s。")
                % {"column": self.column(column), "value": text, "expected": expected},
            )
        return value

    def _check_file_against_database(self) -> None:
        units = Unit.objects.select_for_update() if self.lock else Unit.objects.all()
        existing = {unit.code: unit for unit in units}
        code_by_id = {unit.pk: code for code, unit in existing.items()}
        self.units = dict(existing)
        for code, unit in existing.items():
            parent_code = code_by_id.get(unit.parent_id, "") if unit.parent_id else ""
            department_code = code_by_id.get(unit.department_id, "") if unit.department_id else ""
            self.before[code] = self._display(unit, parent_code, department_code)
            self.parent_of[code] = parent_code
            if unit.is_org_department:
                self.org_depts_before.add(code)
        first_row: dict[str, int] = {}
        for row in self.rows:
            if not row.code:
                continue
            if row.code in first_row:
                self.messages.add(
                    row.number,
                    _("%(column)s“%(value)s”与第 %(other)d 行重复。")
                    % {
                        "column": self.column("code"),
                        "value": row.code,
                        "other": first_row[row.code],
                    },
                )
            else:
                first_row[row.code] = row.number
        known = set(existing) | set(first_row)
        for row in self.rows:
            if row.parent_code and row.parent_code not in known:
                self.messages.add(
                    row.number,
                    _("%(column)s“%(value)s”不存在。")
                    % {"column": self.column("parent_code"), "value": row.parent_code},
                )
            elif row.code and first_row.get(row.code) == row.number:
                self.parent_of[row.code] = row.parent_code
        row_of = {row.number: row for row in self.rows}
        for code, cycle in _cycles(self.parent_of, start=first_row).items():
            row = row_of[first_row[code]]
            self.messages.add(
                row.number,
                _("%(column)s“%(value)s”使上下级形成循环:%(chain)s。")
                % {
                    "column": self.column("parent_code"),
                    "value": row.parent_code,
                    "chain": " → ".join(cycle),
                },
            )
        self._check_usernames()

    def _check_usernames(self) -> None:
        usernames = [row.officer_username for row in self.rows if row.officer_username]
        for start in range(0, len(usernames), 500):
            chunk = usernames[start : start + 500]
            found = User.objects.filter(username__in=chunk).select_related("unit")
            if self.lock:
                found = found.select_for_update(of=("self",))
            self.users.update({user.username: user for user in found})
        first_row: dict[str, int] = {}
        for row in self.rows:
            username = row.officer_username
            if not username:
                continue
            if username in first_row:
                self.messages.add(
                    row.number,
                    _("%(column)s“%(value)s”与第 %(other)d 行重复。")
                    % {
                        "column": self.column("officer_username"),
                        "value": username,
                        "other": first_row[username],
                    },
                )
                continue
            first_row[username] = row.number
            user = self.users.get(username)
            if user is not None and user.role != Role.OFFICER:
                self.messages.add(
                    row.number,
                    _("账号“%(value)s”已存在且不是信息员账号,不能通过导入修改。")
                    % {"value": username},
                )

    def _build_units(self) -> list[UnitPlan]:
        """Apply every row to an in-memory unit, derive the tree, and return the unit plans."""
        plans: list[UnitPlan] = []
        for row in self.rows:
            unit = self.units.get(row.code)
            is_new = unit is None
            if unit is None:
                unit = Unit(code=row.code)
                self.units[row.code] = unit
                self.new_codes.add(row.code)
            was_org_dept = not is_new and unit.is_org_department
            unit.name = row.name
            unit.kind = row.kind
            if row.short_name is not None:
                unit.short_name = row.short_name
            if row.requires_signoff is not None:
                unit.requires_signoff = row.requires_signoff
            if row.is_active is not None:
                unit.is_active = row.is_active
            if unit.kind != Unit.Kind.ORG_DEPT:
                unit.level = ""
            elif row.level:
                unit.level = row.level
            elif not was_org_dept:
                unit.level = ""
                self.messages.add(
                    row.number,
                    _("类型为组织部门时必须填写%(column)s。") % {"column": self.column("level")},
                )
            self._check_model(row.number, unit)
            plans.append(UnitPlan(row=row.number, code=row.code, name=row.name, action=CREATE))
        self._check_demoted_departments()
        self._derive_tree()
        for plan in plans:
            unit = self.units[plan.code]
            if len(unit.path) > (_max_length(Unit, "path") or 0):
                self.messages.add(plan.row, _("单位层级过深,无法保存。"))
            if plan.code in self.new_codes:
                continue
            after = self._display_derived(unit)
            before = self.before[plan.code]
            plan.changes = [
                FieldChange(label=_label(Unit, name), old=old, new=new)
                for name in UNIT_FIELDS
                if (old := before[name]) != (new := after[name])
            ]
            plan.action = UPDATE if plan.changes else UNCHANGED
        self.changed_units = [
            unit
            for code, unit in self.units.items()
            if code not in self.new_codes and self._display_derived(unit) != self.before[code]
        ]
        return plans

    def _check_model(self, number: int, unit: Unit) -> None:
        """The model's own field checks, as a safety net behind the checks above."""
        try:
            unit.clean_fields(exclude=["parent", "department", "path"])
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    self.messages.add(number, f"{_label(Unit, name)}:{error}")

    def _check_demoted_departments(self) -> None:
        demoted = {
            row.code: row.number
            for row in self.rows
            if row.code in self.org_depts_before and row.kind != Unit.Kind.ORG_DEPT
        }
        if not demoted:
            return
        staffed = (
            User.objects.filter(unit__code__in=demoted, role__in=DEPARTMENT_ROLES)
            .values_list("unit__code", flat=True)
            .distinct()
        )
        for code in staffed:
            self.messages.add(
                demoted[code],
                _("“%(code)s”有编辑或部领导账号,不能改为组织部门以外的类型。") % {"code": code},
            )

    def _derive_tree(self) -> None:
        """Depth of every unit, then path and department top-down (parents before children)."""
        for code in self.units:
            chain: list[str] = []
            current = code
            while current and current not in self.depth:
                chain.append(current)
                current = self.parent_of[current]
            depth = self.depth[current] if current else -1
            for item in reversed(chain):
                depth += 1
                self.depth[item] = depth
        for code in sorted(self.units, key=self.depth.__getitem__):
            unit = self.units[code]
            parent_code = self.parent_of[code]
            unit.parent = self.units[parent_code] if parent_code else None
            derive_tree_fields(unit)

    def _display_derived(self, unit: Unit) -> dict[str, str]:
        """``_display`` after ``_derive_tree``, which has cached every parent and department."""
        department = unit.department
        return self._display(
            unit, self.parent_of[unit.code], department.code if department is not None else ""
        )

    @staticmethod
    def _display(unit: Unit, parent_code: str, department_code: str) -> dict[str, str]:
        """A unit's compared fields as the user reads them (parent and department by code)."""
        return {
            "name": unit.name,
            "short_name": unit.short_name,
            "kind": str(Unit.Kind(unit.kind).label) if unit.kind else "",
            "level": str(Unit.Level(unit.level).label) if unit.level else "",
            "parent": parent_code,
            "requires_signoff": _("是") if unit.requires_signoff else _("否"),
            "is_active": _("是") if unit.is_active else _("否"),
            "path": unit.path,
            "department": department_code,
        }

    def _build_officers(self) -> list[OfficerPlan]:
        plans: list[OfficerPlan] = []
        for row in self.rows:
            if not row.officer_username:
                continue
            unit = self.units[row.code]
            user = self.users.get(row.officer_username)
            if user is None:
                user = User(
                    username=row.officer_username,
                    role=Role.OFFICER,
                    full_name=row.officer_name or "",
                    officer_rank=row.officer_rank or User.OfficerRank.REGULAR,
                    phone=row.phone or "",
                    unit=unit,
                    must_change_password=True,
                )
                user.set_unusable_password()
                self.new_users.append(user)
                plans.append(
                    OfficerPlan(
                        row=row.number,
                        username=user.username,
                        full_name=user.full_name,
                        unit_code=row.code,
                        action=CREATE,
                    )
                )
                continue
            before = self._officer_display(user)
            if row.officer_name is not None:
                user.full_name = row.officer_name
            if row.officer_rank is not None:
                user.officer_rank = row.officer_rank
            if row.phone is not None:
                user.phone = row.phone
            user.unit = unit
            after = self._officer_display(user)
            changes = [
                FieldChange(label=_label(User, name), old=old, new=new)
                for name in OFFICER_MODEL_FIELDS
                if (old := before[name]) != (new := after[name])
            ]
            if changes:
                self.changed_users.append(user)
            plans.append(
                OfficerPlan(
                    row=row.number,
                    username=user.username,
                    full_name=user.full_name,
                    unit_code=row.code,
                    action=UPDATE if changes else UNCHANGED,
                    changes=changes,
                )
            )
        return plans

    def _officer_display(self, user: User) -> dict[str, str]:
        return {
            "full_name": user.full_name,
            "officer_rank": str(User.OfficerRank(user.officer_rank).label)
            if user.officer_rank
            else "",
            "phone": user.phone,
            "unit": user.unit.code if user.unit is not None else "",
        }


def _max_length(model: type[Any], name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


def _label(model: type[Any], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _cycles(parent_of: dict[str, str], *, start: Iterable[str]) -> dict[str, list[str]]:
    """Codes (among ``start``) that lie on a cycle of ``parent_of``, each with its cycle."""
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = finished
    found: dict[str, list[str]] = {}
    start_set = dict.fromkeys(start)  # a set that keeps the file's order
    for origin in start_set:
        chain: list[str] = []
        code = origin
        while code and code not in state:
            state[code] = 1
            chain.append(code)
            code = parent_of.get(code, "")
        if code and state.get(code) == 1:
            loop = chain[chain.index(code) :]
            for member in loop:
                if member in start_set:
                    found[member] = [*loop, code]
        for member in chain:
            state[member] = 2
    return found
