"""Importing the org tree (units, and optionally one officer per unit) from a spreadsheet.

``unit_import`` is the one entry point; the management command ``import_units`` and the Unit
admin's import page both call it. The contract:

1. The file is read by content, not by name: a zip is taken for .xlsx (first worksheet, read-only
   mode), anything else for CSV in UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode text")
   or GB18030 (what Excel in China saves by default). Row 1 is the header, with Chinese or English
   column names (``COLUMNS``); blank rows are skipped but still counted, so row numbers in
   messages are the ones the user sees in the spreadsheet.
2. Every row is checked, then the file as a whole against the database: required cells, choices,
   lengths, duplicate codes, parents that exist neither in the file nor in the database, cycles
   (through both), organization departments without a level, accounts that belong to someone who
   is not an officer. Every problem becomes one Chinese message naming the row and the column;
   if there is any, ``UnitImportError`` carries all of them and nothing has been written.
3. Otherwise the plan is computed: each row's unit (matched by code) is created, updated or
   unchanged. A blank cell in an optional column keeps the existing value (a new unit gets the
   default); a blank parent code makes a top-level unit. Order within the file does not matter.
4. Unless it is a dry run, the plan is written in one transaction: the whole tree is derived in
   memory top-down with ``orgs.services.derive_tree_fields`` (so units outside the file whose
   path or department changes because an ancestor moved or became an organization department
   are kept right too), new units are bulk-created depth by depth, changed ones bulk-updated,
   officers created or updated, and one ``unit.import`` audit record summarizes the change.

New officer accounts get an unusable password and ``must_change_password``: an administrator
sets the first password. An import never creates a guessable default password.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from xinbao.audit.services import audit_record
from xinbao.orgs.models import DEPARTMENT_ROLES, Role, Unit, User
from xinbao.orgs.services import derive_tree_fields

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_MESSAGES_SHOWN = 50
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"

# Canonical field → the Chinese column name shown in messages and accepted aliases.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "code": ("代码", ("单位代码", "code", "unit_code")),
    "name": ("名称", ("单位名称", "name", "unit_name")),
    "kind": ("类型", ("单位类型", "type", "kind")),
    "parent_code": ("上级代码", ("上级单位代码", "parent_code", "parent")),
    "level": ("级别", ("level",)),
    "requires_signoff": ("需签发", ("requires_signoff", "signoff")),
    "is_active": ("启用", ("is_active", "active")),
    "short_name": ("简称", ("short_name",)),
    "officer_username": ("信息员账号", ("officer_username", "username")),
    "officer_name": ("信息员姓名", ("officer_name", "full_name")),
    "officer_rank": ("信息员类别", ("officer_rank", "rank")),
    "phone": ("联系电话", ("phone", "officer_phone")),
}
REQUIRED = ("code", "name", "kind", "parent_code")
OFFICER_FIELDS = ("officer_username", "officer_name", "officer_rank", "phone")
IGNORED_COLUMNS = frozenset({"序号", "备注", "说明", "no", "note", "notes", "remark", "remarks"})

KIND_WORDS = {
    "组织部门": Unit.Kind.ORG_DEPT,
    "組織部門": Unit.Kind.ORG_DEPT,
    "乡镇": Unit.Kind.TOWNSHIP,
    "鄉鎮": Unit.Kind.TOWNSHIP,
    "部门": Unit.Kind.DEPARTMENT,
    "部門": Unit.Kind.DEPARTMENT,
    "其他": Unit.Kind.OTHER,
    **{value: Unit.Kind(value) for value in Unit.Kind.values},
}
LEVEL_WORDS = {
    **dict.fromkeys(("中央",), Unit.Level.CENTRAL),
    **dict.fromkeys(("省级", "省級", "省"), Unit.Level.PROVINCE),
    **dict.fromkeys(("市级", "市級", "市"), Unit.Level.CITY),
    **dict.fromkeys(("县级", "縣級", "县", "縣"), Unit.Level.COUNTY),
    **{value: Unit.Level(value) for value in Unit.Level.values},
}
RANK_WORDS = {
    **dict.fromkeys(("主信息员", "主信息員"), User.OfficerRank.PRIMARY),
    **dict.fromkeys(("信息员", "信息員"), User.OfficerRank.REGULAR),
    **dict.fromkeys(("后备信息员", "後備信息員"), User.OfficerRank.BACKUP),
    **{value: User.OfficerRank(value) for value in User.OfficerRank.values},
}
BOOL_WORDS = {
    **dict.fromkeys(("是", "1", "true", "yes", "y"), True),
    **dict.fromkeys(("否", "0", "false", "no", "n"), False),
}
UNIT_FIELDS = ("name", "short_name", "kind", "level", "parent", "requires_signoff", "is_active")
DERIVED_FIELDS = ("path", "department")
OFFICER_MODEL_FIELDS = ("full_name", "officer_rank", "phone", "unit")


class UnitImportError(Exception):
    """The file cannot be imported; ``messages`` names every bad row. Nothing was written."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(self.shown))

    @property
    def shown(self) -> list[str]:
        """At most ``MAX_MESSAGES_SHOWN`` messages, plus a line counting the rest."""
        shown = self.messages[:MAX_MESSAGES_SHOWN]
        if rest := len(self.messages) - len(shown):
            shown.append(_("……另有 %(count)d 处错误未列出。") % {"count": rest})
        return shown


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class UnitPlan:
    row: int
    code: str
    name: str
    action: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class OfficerPlan:
    row: int
    username: str
    full_name: str
    unit_code: str
    action: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class ImportResult:
    """What the import did (or, for a dry run, would do), in file order."""

    units: list[UnitPlan]
    officers: list[OfficerPlan]
    dry_run: bool
    rederived: int = 0  # units outside the file whose path or department followed a change

    def units_with(self, action: str) -> list[UnitPlan]:
        return [plan for plan in self.units if plan.action == action]

    def officers_with(self, action: str) -> list[OfficerPlan]:
        return [plan for plan in self.officers if plan.action == action]

    def summary(self) -> str:
        text = _("新建 %(created)d 个单位,更新 %(updated)d 个,未变 %(unchanged)d 个") % {
            "created": len(self.units_with(CREATE)),
            "updated": len(self.units_with(UPDATE)),
            "unchanged": len(self.units_with(UNCHANGED)),
        }
        if self.officers:
            text += _(
                ";新建 %(created)d 个信息员账号,更新 %(updated)d 个,未变 %(unchanged)d 个"
            ) % {
                "created": len(self.officers_with(CREATE)),
                "updated": len(self.officers_with(UPDATE)),
                "unchanged": len(self.officers_with(UNCHANGED)),
            }
        if self.rederived:
            text += _(";另有 %(count)d 个下级单位的隶属关系随之更新") % {"count": self.rederived}
        text += "。"
        return (_("预览(未写入):") + text) if self.dry_run else text


def unit_import(
    *, data: bytes, actor: User | None, filename: str = "", dry_run: bool = False
) -> ImportResult:
    """Check the whole file, then (unless ``dry_run``) write it in one transaction.

    Raises ``UnitImportError`` with every row's message when anything is wrong.
    """
    rows = read_table(data)
    if dry_run:
        return _Importer(rows, lock=False).plan(dry_run=True)
    with transaction.atomic():
        importer = _Importer(rows, lock=True)
        result = importer.plan(dry_run=False)
        importer.apply(actor=actor, filename=filename, result=result)
    return result


# --- reading the file ------------------------------------------------------------------------


def read_table(data: bytes) -> list[tuple[int, list[str]]]:
    """The file's rows as ``(row number, cell texts)``, header first, blank rows dropped."""
    if len(data) > MAX_BYTES:
        raise UnitImportError([_("文件超过 %(mb)d MB。") % {"mb": MAX_BYTES // (1024 * 1024)}])
    if data.startswith(XLS_MAGIC):
        raise UnitImportError(
            [_("不支持旧版 .xls 文件,请在 Excel 中另存为 .xlsx 或 .csv 后再导入。")]
        )
    raw = _read_xlsx(data) if data.startswith(XLSX_MAGIC) else _read_csv(data)
    return [(number, cells) for number, cells in raw if any(cells)]


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # some producers write a wrong <dimension>; read it all
            return [
                (number, [_cell_text(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            workbook.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise UnitImportError([_("无法读取该 xlsx 文件,请确认文件完整且未加密。")]) from exc


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnitImportError(
            [_("无法识别文件编码,请保存为 UTF-8 或 GB18030 编码的 CSV,或 .xlsx。")]
        )
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [
            (number, [cell.strip() for cell in cells]) for number, cells in enumerate(reader, 1)
        ]
    except csv.Error as exc:
        raise UnitImportError([_("CSV 文件格式有误:%(error)s") % {"error": exc}]) from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number comes back as 440101.0
    return str(value).strip()


def _fold(text: str) -> str:
    """Full-width letters, digits and brackets to ASCII: for codes, choices and headers."""
    return unicodedata.normalize("NFKC", text).strip()


# --- checking the rows ------------------------------------------------------------------------


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


class _Importer:
    """Holds one import between planning and writing. With ``lock`` (inside the writing
    transaction) the units and accounts it reads are locked until the transaction ends, so a
    concurrent edit cannot be overwritten by the plan (PostgreSQL; SQLite's writer already
    holds the database lock)."""

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
            _header_key(alias): name
            for name, (chinese, others) in COLUMNS.items()
            for alias in (chinese, *others)
        }
        for index, text in enumerate(header):
            key = _header_key(text)
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
                    % {"column": COLUMNS[name][0], "english": _english_name(name)},
                )

    def _parse_row(self, number: int, cells: list[str]) -> None:
        def cell(name: str) -> str:
            index = self.columns.get(name)
            return cells[index] if index is not None and index < len(cells) else ""

        code = _fold(cell("code"))
        parent_code = _fold(cell("parent_code"))
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
        username = _fold(cell("officer_username"))
        if not username and any(cell(name) for name in OFFICER_FIELDS):
            self.messages.add(
                number,
                _("填写了信息员信息,但%(column)s为空。")
                % {"column": self.column("officer_username")},
            )
        officer_name = " ".join(cell("officer_name").split()) or None
        phone = _fold(cell("phone")) or None
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
        value = words.get(_fold(text).lower())
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

    # Writing ---------------------------------------------------------------------------------

    def apply(self, *, actor: User | None, filename: str, result: ImportResult) -> None:
        """Write the plan; call inside the transaction the importer was built in."""
        by_depth: dict[int, list[Unit]] = defaultdict(list)
        for code in self.new_codes:
            by_depth[self.depth[code]].append(self.units[code])
        for depth in sorted(by_depth):
            Unit.objects.bulk_create(by_depth[depth], batch_size=500)
        if self.changed_units:
            Unit.objects.bulk_update(
                self.changed_units, [*UNIT_FIELDS, *DERIVED_FIELDS], batch_size=500
            )
        if self.new_users:
            User.objects.bulk_create(self.new_users, batch_size=500)
        if self.changed_users:
            User.objects.bulk_update(self.changed_users, list(OFFICER_MODEL_FIELDS), batch_size=500)
        audit_record(
            actor=actor,
            action="unit.import",
            changes={
                "file": filename[:200],
                "units_created": [plan.code for plan in result.units_with(CREATE)],
                "units_updated": _changes_by_key(result.units_with(UPDATE), key="code"),
                "units_rederived": result.rederived,
                "officers_created": [plan.username for plan in result.officers_with(CREATE)],
                "officers_updated": _changes_by_key(result.officers_with(UPDATE), key="username"),
            },
        )


def _changes_by_key(plans: Iterable[UnitPlan | OfficerPlan], *, key: str) -> dict[str, Any]:
    return {
        getattr(plan, key): {change.label: [change.old, change.new] for change in plan.changes}
        for plan in plans
    }


def _english_name(name: str) -> str:
    return next(alias for alias in COLUMNS[name][1] if alias.isascii())


def _max_length(model: type[Any], name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


def _label(model: type[Any], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _header_key(text: str) -> str:
    """``"上级代码(可空)*"`` and ``"Parent Code"`` both become a key of ``COLUMNS``."""
    key = _fold(text).lower()
    key = key.split("(", 1)[0].strip().rstrip("*").strip()
    return "_".join(key.replace("-", " ").split())


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
