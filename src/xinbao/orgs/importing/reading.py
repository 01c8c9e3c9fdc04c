"""Reading an import file: its bytes to rows of cell texts (xlsx by content, else CSV in UTF-8,
UTF-16 or GB18030; see the package docstring), and the words its header and cells may use.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from xinbao.orgs.importing.results import UnitImportError
from xinbao.orgs.models import Unit, User

MAX_BYTES = 10 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

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
    from xinbao.uploads import UploadRefused, check_zip

    if zipfile.is_zipfile(io.BytesIO(data)):  # a damaged one gets openpyxl's message below
        try:
            check_zip(data).close()  # the zip-bomb guard shared by every zip-based upload
        except UploadRefused as refused:
            raise UnitImportError([str(refused)]) from refused
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


def fold(text: str) -> str:
    """Full-width letters, digits and brackets to ASCII: for codes, choices and headers."""
    return unicodedata.normalize("NFKC", text).strip()


def header_key(text: str) -> str:
    """``"上级代码(可空)*"`` and ``"Parent Code"`` both become a key of ``COLUMNS``."""
    key = fold(text).lower()
    key = key.split("(", 1)[0].strip().rstrip("*").strip()
    return "_".join(key.replace("-", " ").split())


def english_name(name: str) -> str:
    return next(alias for alias in COLUMNS[name][1] if alias.isascii())
