"""Importing units and officers from .xlsx / .csv: the service, the command and the admin page."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.factories import make_unit, make_user
from xinbao.audit.models import AuditRecord
from xinbao.orgs.importing import (
    CREATE,
    MAX_MESSAGES_SHOWN,
    UNCHANGED,
    UPDATE,
    ImportResult,
    UnitImportError,
    unit_import,
)
from xinbao.orgs.models import Role, Unit, User

pytestmark = pytest.mark.django_db

HEADER = ["代码", "名称", "类型", "上级代码", "级别", "需签发"]
COUNTY = [
    ["SC", "某市委组织部", "组织部门", "", "市级", ""],
    ["XX", "某县委组织部", "组织部门", "SC", "县级", ""],
    ["XX01", "甲镇", "乡镇", "XX", "", "否"],
    ["XX02", "乙镇", "乡镇", "XX", "", "是"],
    ["XX51", "县教育局", "部门", "XX", "", ""],
    ["XX5101", "县实验中学", "其他", "XX51", "", ""],
]
Rows = Sequence[Sequence[Any]]


def xlsx_bytes(rows: Rows, header: Sequence[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: Rows, header: Sequence[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run(data: bytes, **kwargs: Any) -> ImportResult:
    return unit_import(data=data, actor=None, filename="单位.xlsx", **kwargs)


def import_errors(data: bytes) -> list[str]:
    with pytest.raises(UnitImportError) as caught:
        run(data)
    return caught.value.messages


def unit(code: str) -> Unit:
    return Unit.objects.select_related("parent", "department").get(code=code)


def assert_county_imported() -> None:
    assert unit("SC").path == "/SC/"
    assert unit("SC").department is None
    assert unit("XX").level == Unit.Level.COUNTY
    assert unit("XX").department == unit("SC")
    town = unit("XX01")
    assert (town.path, town.parent, town.department) == ("/SC/XX/XX01/", unit("XX"), unit("XX"))
    assert unit("XX02").requires_signoff is True
    assert not unit("XX01").requires_signoff
    school = unit("XX5101")
    assert school.path == "/SC/XX/XX51/XX5101/"
    assert school.department == unit("XX")
    assert school.kind == Unit.Kind.OTHER


# --- good files ------------------------------------------------------------------------------


def test_xlsx_imports_a_county_and_derives_paths_and_departments(tmp_path: Path) -> None:
    path = tmp_path / "county.xlsx"
    path.write_bytes(xlsx_bytes(COUNTY))
    result = run(path.read_bytes())
    assert Unit.objects.count() == 6
    assert_county_imported()
    assert [plan.action for plan in result.units] == [CREATE] * 6
    assert result.summary() == "新建 6 个单位,更新 0 个,未变 0 个。"
    record = AuditRecord.objects.get(action="unit.import")
    assert record.actor is None
    assert record.changes["units_created"] == [row[0] for row in COUNTY]


def test_csv_with_and_without_bom_imports_the_same_county(tmp_path: Path) -> None:
    run(csv_bytes(COUNTY, encoding="utf-8-sig"))
    assert_county_imported()
    again = run(csv_bytes(COUNTY, encoding="utf-8"))
    assert [plan.action for plan in again.units] == [UNCHANGED] * 6


def test_gb18030_csv_as_saved_by_chinese_excel_imports() -> None:
    data = csv_bytes(COUNTY, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    run(data)
    assert_county_imported()
    assert unit("XX01").name == "甲镇"


def test_english_headers_numeric_codes_and_full_width_codes_are_understood() -> None:
    header = ["Code", "Name", "Type", "Parent Code", "Level", "requires_signoff", "备注"]
    rows = [
        [4401, "某市委组织部", "org_dept", None, "city", None, "说明文字被忽略"],
        ["４４０１０１", "某县委组织部", "ORG_DEPT", 4401.0, "county", None, None],
        [440101001, "甲镇", "township", 440101, None, True],
    ]
    run(xlsx_bytes(rows, header=header))
    assert unit("440101").parent == unit("4401")
    assert unit("440101001").path == "/4401/440101/440101001/"
    assert unit("440101001").requires_signoff is True


def test_parent_defined_after_its_child_is_imported() -> None:
    run(csv_bytes(list(reversed(COUNTY))))
    assert_county_imported()


def test_parent_may_already_exist_in_the_database() -> None:
    city = make_unit(code="SC", name="某市委组织部", kind=Unit.Kind.ORG_DEPT, level="city")
    result = run(xlsx_bytes([["XX", "某县委组织部", "组织部门", "SC", "县级", ""]]))
    assert unit("XX").parent == city
    assert unit("XX").department == city
    assert [plan.action for plan in result.units] == [CREATE]


def test_existing_unit_is_updated_and_blank_optional_cells_keep_its_values() -> None:
    run(xlsx_bytes(COUNTY))
    Unit.objects.filter(code="XX01").update(short_name="甲", is_active=False)
    header = [*HEADER, "简称", "启用"]
    rows = [
        ["XX01", "甲镇人民政府", "乡镇", "XX", "", "是", "", ""],
        ["XX02", "乙镇", "乡镇", "XX", "", "", "", ""],
    ]
    result = run(csv_bytes(rows, header=header))
    town = unit("XX01")
    assert (town.name, town.requires_signoff) == ("甲镇人民政府", True)
    assert (town.short_name, town.is_active) == ("甲", False)  # blank cells keep values
    assert unit("XX02").requires_signoff is True
    first, second = result.units
    assert first.action == UPDATE
    assert {change.label for change in first.changes} == {"名称", "报送前需分管领导签发"}
    assert second.action == UNCHANGED
    assert result.summary() == "新建 0 个单位,更新 1 个,未变 1 个。"
    assert Unit.objects.count() == 6


def test_moving_a_unit_rederives_its_descendants_outside_the_file() -> None:
    run(xlsx_bytes(COUNTY))
    other = make_unit(code="YY", name="邻县委组织部", kind=Unit.Kind.ORG_DEPT, parent=unit("SC"))
    result = run(xlsx_bytes([["XX51", "县教育局", "部门", "YY", "", ""]]))
    assert result.rederived == 1
    school = unit("XX5101")
    assert school.path == "/SC/YY/XX51/XX5101/"
    assert school.department == other
    assert "上级单位" in {change.label for change in result.units[0].changes}


def test_a_row_that_only_follows_its_moved_parent_is_unchanged_but_rederived() -> None:
    run(xlsx_bytes(COUNTY))
    make_unit(code="YY", name="邻县委组织部", kind=Unit.Kind.ORG_DEPT, parent=unit("SC"))
    rows = [
        ["XX5101", "县实验中学", "其他", "XX51", "", ""],
        ["XX51", "县教育局", "部门", "YY", "", ""],
    ]
    result = run(csv_bytes(rows))
    assert [plan.action for plan in result.units] == [UNCHANGED, UPDATE]
    assert result.rederived == 1
    assert "另有 1 个下级单位的隶属关系随之更新" in result.summary()
    assert unit("XX5101").path == "/SC/YY/XX51/XX5101/"


def test_turning_a_unit_into_an_org_dept_makes_it_the_department_of_its_subtree() -> None:
    run(xlsx_bytes(COUNTY))
    run(xlsx_bytes([["XX51", "县教育工委", "组织部门", "XX", "县级", ""]]))
    assert unit("XX5101").department == unit("XX51")
    assert unit("XX51").level == Unit.Level.COUNTY


def test_an_org_dept_keeps_its_level_when_the_cell_is_blank() -> None:
    run(xlsx_bytes(COUNTY))
    result = run(xlsx_bytes([["XX", "某县委组织部", "组织部门", "SC", "", ""]]))
    assert result.units[0].action == UNCHANGED
    assert unit("XX").level == Unit.Level.COUNTY


# --- officers --------------------------------------------------------------------------------

OFFICER_HEADER = [*HEADER, "信息员账号", "信息员姓名", "信息员类别", "联系电话"]


def test_officer_columns_create_an_officer_who_must_set_a_password() -> None:
    rows = [
        [*COUNTY[0], "", "", "", ""],
        [*COUNTY[1], "", "", "", ""],
        [*COUNTY[2], "town01", "张三", "主信息员", "13800000000"],
        [*COUNTY[3], "town02", "李四", "", ""],
    ]
    result = run(xlsx_bytes(rows, header=OFFICER_HEADER))
    officer = User.objects.get(username="town01")
    assert (officer.role, officer.unit, officer.full_name) == (Role.OFFICER, unit("XX01"), "张三")
    assert officer.officer_rank == User.OfficerRank.PRIMARY
    assert officer.phone == "13800000000"
    assert officer.must_change_password is True
    assert not officer.has_usable_password()
    for guess in ("Xinbao@2026", "123456", "town01", ""):
        assert not officer.check_password(guess)
    assert User.objects.get(username="town02").officer_rank == User.OfficerRank.REGULAR
    assert [plan.action for plan in result.officers] == [CREATE, CREATE]
    assert "新建 2 个信息员账号" in result.summary()
    record = AuditRecord.objects.get(action="unit.import")
    assert record.changes["officers_created"] == ["town01", "town02"]
    assert "password" not in str(record.changes)


def test_an_existing_officer_is_updated_and_keeps_their_password() -> None:
    run(xlsx_bytes(COUNTY))
    officer = make_user(role=Role.OFFICER, unit=unit("XX02"), username="town01", phone="1")
    rows = [[*COUNTY[2], "town01", "", "后备信息员", "13900000000"]]
    result = run(xlsx_bytes(rows, header=OFFICER_HEADER))
    officer.refresh_from_db()
    assert (officer.unit, officer.phone) == (unit("XX01"), "13900000000")
    assert officer.officer_rank == User.OfficerRank.BACKUP
    assert officer.full_name.startswith("测试")  # blank name cell keeps the name
    assert officer.has_usable_password()
    assert result.officers[0].action == UPDATE


def test_importing_the_same_officer_file_again_changes_nothing() -> None:
    rows = [
        [*COUNTY[0], "", "", "", ""],
        [*COUNTY[1], "", "", "", ""],
        [*COUNTY[2], "town01", "张三", "主信息员", "13800000000"],
        [*COUNTY[3], "town02", "李四", "", ""],
    ]
    run(xlsx_bytes(rows, header=OFFICER_HEADER))
    officers = list(User.objects.order_by("pk").values())
    records = AuditRecord.objects.count()
    again = run(xlsx_bytes(rows, header=OFFICER_HEADER))
    assert [plan.action for plan in again.officers] == [UNCHANGED, UNCHANGED]
    assert [plan.action for plan in again.units] == [UNCHANGED] * 4
    assert list(User.objects.order_by("pk").values()) == officers
    unchanged = "新建 0 个单位,更新 0 个,未变 4 个;新建 0 个信息员账号,更新 0 个,未变 2 个。"
    assert again.summary() == unchanged
    assert AuditRecord.objects.count() - records <= 1  # at most the import's own record


def test_an_account_that_is_not_an_officer_is_refused() -> None:
    run(xlsx_bytes(COUNTY))
    make_user(role=Role.EDITOR, unit=unit("XX"), username="editor1")
    rows = [[*COUNTY[2], "editor1", "王五", "", ""]]
    errors = import_errors(xlsx_bytes(rows, header=OFFICER_HEADER))
    assert errors == ["第 2 行:账号“editor1”已存在且不是信息员账号,不能通过导入修改。"]
    assert User.objects.get(username="editor1").role == Role.EDITOR


# --- dry run ---------------------------------------------------------------------------------


def test_dry_run_writes_nothing_but_reports_the_plan() -> None:
    run(xlsx_bytes(COUNTY[:3]))
    units_before, audit_before = Unit.objects.count(), AuditRecord.objects.count()
    changed = [["XX01", "甲镇(新)", "乡镇", "XX", "", ""], *COUNTY[3:]]
    rows = [[*row, "town02" if row[0] == "XX02" else "", "", "", ""] for row in changed]
    result = run(xlsx_bytes(rows, header=OFFICER_HEADER), dry_run=True)
    assert result.dry_run
    assert [(p.code, p.action) for p in result.units] == [
        ("XX01", UPDATE),
        ("XX02", CREATE),
        ("XX51", CREATE),
        ("XX5101", CREATE),
    ]
    assert result.units[0].changes[0].old == "甲镇"
    assert [p.username for p in result.officers_with(CREATE)] == ["town02"]
    assert result.summary().startswith("预览(未写入):新建 3 个单位,更新 1 个,未变 0 个")
    assert (Unit.objects.count(), AuditRecord.objects.count()) == (units_before, audit_before)
    assert unit("XX01").name == "甲镇"
    assert not User.objects.filter(username="town02").exists()


# --- bad files -------------------------------------------------------------------------------

GOOD = COUNTY[:2]  # rows 2 and 3; the bad row below is row 4
BAD_ROWS: dict[str, tuple[list[Any], str]] = {
    "missing code": (["", "丙镇", "乡镇", "XX", "", ""], "第 4 行:代码不能为空。"),
    "missing name": (["XX03", "", "乡镇", "XX", "", ""], "第 4 行:名称不能为空。"),
    "missing type": (["XX03", "丙镇", "", "XX", "", ""], "第 4 行:类型不能为空。"),
    "unknown type": (["XX03", "丙镇", "街道", "XX", "", ""], "第 4 行:类型“街道”无法识别"),
    "unknown level": (["XX9", "某部", "组织部门", "XX", "区级", ""], "第 4 行:级别“区级”无法识别"),
    "unknown parent": (["XX03", "丙镇", "乡镇", "XX99", "", ""], "第 4 行:上级代码“XX99”不存在。"),
    "duplicate code": (["XX", "重复", "乡镇", "SC", "", ""], "第 4 行:代码“XX”与第 3 行重复。"),
    "own parent": (
        ["XX03", "丙镇", "乡镇", "XX03", "", ""],
        "第 4 行:上级代码“XX03”使上下级形成循环",
    ),
    "org dept without level": (
        ["XX9", "某部", "组织部门", "XX", "", ""],
        "第 4 行:类型为组织部门时必须填写级别。",
    ),
    "level on a township": (
        ["XX03", "丙镇", "乡镇", "XX", "县级", ""],
        "第 4 行:只有组织部门才能填写级别。",
    ),
    "name too long": (["XX03", "镇" * 101, "乡镇", "XX", "", ""], "第 4 行:名称不能超过 100 个字"),
    "code too long": (["X" * 33, "丙镇", "乡镇", "XX", "", ""], "第 4 行:代码不能超过 32 个字"),
    "slash in code": (
        ["XX/03", "丙镇", "乡镇", "XX", "", ""],
        "第 4 行:代码“XX/03”不能包含空格或“/”。",
    ),
    "bad yes/no": (["XX03", "丙镇", "乡镇", "XX", "", "可能"], "第 4 行:需签发“可能”无法识别"),
}


@pytest.mark.parametrize("case", BAD_ROWS)
@pytest.mark.parametrize("make_file", [xlsx_bytes, csv_bytes], ids=["xlsx", "csv"])
def test_a_bad_row_is_named_and_nothing_is_imported(case: str, make_file: Any) -> None:
    bad_row, expected = BAD_ROWS[case]
    errors = import_errors(make_file([*GOOD, bad_row, COUNTY[2]]))
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors
    assert Unit.objects.count() == 0
    assert AuditRecord.objects.count() == 0


def test_every_bad_row_is_reported_in_row_order() -> None:
    rows = [
        ["A", "甲", "乡镇", "B", "", ""],
        ["B", "乙", "乡镇", "A", "", ""],
        ["C", "", "乡镇", "", "", ""],
    ]
    errors = import_errors(csv_bytes(rows))
    assert errors[0].startswith("第 2 行:上级代码“B”使上下级形成循环:A → B → A")
    assert errors[1].startswith("第 3 行:上级代码“A”使上下级形成循环")
    assert errors[2] == "第 4 行:名称不能为空。"


def test_a_cycle_through_units_already_in_the_database_is_refused() -> None:
    run(xlsx_bytes(COUNTY))
    errors = import_errors(xlsx_bytes([["XX", "某县委组织部", "组织部门", "XX01", "县级", ""]]))
    assert errors == ["第 2 行:上级代码“XX01”使上下级形成循环:XX → XX01 → XX。"]
    assert unit("XX").parent == unit("SC")


def test_an_org_dept_with_editors_cannot_become_another_kind() -> None:
    run(xlsx_bytes(COUNTY))
    make_user(role=Role.EDITOR, unit=unit("XX"))
    errors = import_errors(xlsx_bytes([["XX", "某县委组织部", "部门", "SC", "", ""]]))
    assert errors == ["第 2 行:“XX”有编辑或部领导账号,不能改为组织部门以外的类型。"]


def test_officer_cells_without_a_username_are_refused() -> None:
    rows = [[*COUNTY[0], "", "张三", "", ""], [*COUNTY[1], "张 三", "", "", ""]]
    errors = import_errors(xlsx_bytes(rows, header=OFFICER_HEADER))
    assert errors[0] == "第 2 行:填写了信息员信息,但信息员账号为空。"
    assert errors[1].startswith("第 3 行:信息员账号“张 三”无效")
    assert not User.objects.exists()


def test_the_same_officer_twice_is_refused() -> None:
    rows = [[*COUNTY[0], "town01", "", "", ""], [*COUNTY[1], "town01", "", "", ""]]
    errors = import_errors(xlsx_bytes(rows, header=OFFICER_HEADER))
    assert errors == ["第 3 行:信息员账号“town01”与第 2 行重复。"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["代码", "名称", "类型"], "第 1 行:缺少必需的列“上级代码”(parent_code)。"),
        ([*HEADER, "负责人"], "第 1 行:无法识别的列名“负责人”。"),
        ([*HEADER, "code"], "第 1 行:列“code”重复。"),
    ],
)
def test_a_bad_header_is_named(header: list[str], expected: str) -> None:
    assert import_errors(csv_bytes([], header=header)) == [expected]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "文件是空的。"),
        (csv_bytes([]), "文件中没有数据行。"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "不支持旧版 .xls 文件"),
        (b"PK\x03\x04 not really a zip", "无法读取该 xlsx 文件"),
    ],
)
def test_unreadable_files_get_a_clear_message(data: bytes, expected: str) -> None:
    assert import_errors(data)[0].startswith(expected)


def test_many_errors_are_all_kept_but_only_the_first_ones_shown() -> None:
    rows = [[f"T{n}", "", "乡镇", "", "", ""] for n in range(80)]
    with pytest.raises(UnitImportError) as caught:
        run(csv_bytes(rows))
    assert len(caught.value.messages) == 80
    assert len(caught.value.shown) == MAX_MESSAGES_SHOWN + 1
    assert caught.value.shown[-1] == "……另有 30 处错误未列出。"


def test_a_large_file_takes_a_bounded_number_of_queries(
    django_assert_max_num_queries: Any,
) -> None:
    rows: list[list[Any]] = [["P", "某省委组织部", "组织部门", "", "省级", ""]]
    for county in range(10):
        rows.append([f"C{county}", f"县{county}", "组织部门", "P", "县级", ""])
        rows += [[f"C{county}T{n}", f"镇{n}", "乡镇", f"C{county}", "", ""] for n in range(60)]
    header = [*HEADER, "信息员账号"]
    rows = [[*row, f"u_{row[0]}" if row[2] == "乡镇" else ""] for row in rows]
    with django_assert_max_num_queries(40):
        result = run(csv_bytes(rows, header=header))
    assert len(result.units_with(CREATE)) == Unit.objects.count() == 611
    assert User.objects.filter(role=Role.OFFICER).count() == 600
    assert unit("C9T59").department == unit("C9")


# --- management command ----------------------------------------------------------------------


def test_command_imports_and_prints_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "county.xlsx"
    path.write_bytes(xlsx_bytes(COUNTY))
    out = io.StringIO()
    call_command("import_units", str(path), stdout=out)
    assert "新建 6 个单位,更新 0 个,未变 0 个。" in out.getvalue()
    assert Unit.objects.count() == 6


def test_command_dry_run_lists_the_changes_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "county.csv"
    path.write_bytes(csv_bytes(COUNTY))
    out = io.StringIO()
    call_command("import_units", str(path), "--dry-run", stdout=out)
    assert "第 4 行 新建单位 XX01 甲镇" in out.getvalue()
    assert "预览(未写入):新建 6 个单位" in out.getvalue()
    assert not Unit.objects.exists()


def test_command_reports_every_bad_row_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([*COUNTY, ["XX03", "丙镇", "乡镇", "XX99", "", ""], ["XX04"]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="共 3 处错误"):
        call_command("import_units", str(path), stderr=err)
    assert "第 8 行:上级代码“XX99”不存在。" in err.getvalue()
    assert "第 9 行:名称不能为空。" in err.getvalue()
    assert not Unit.objects.exists()


def test_command_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_units", str(tmp_path / "none.xlsx"))


# --- admin page ------------------------------------------------------------------------------


@pytest.fixture
def unit_admin(client: Client) -> Client:
    user = make_user(role=Role.SYSADMIN, is_staff=True, username="unitadmin")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orgs", codename__in=["add_unit", "change_unit", "view_unit"]
        )
    )
    client.force_login(user)
    return client


IMPORT_URL = "admin:orgs_unit_import"


def upload(client: Client, data: bytes, *, dry_run: bool, name: str = "county.xlsx") -> Any:
    form: dict[str, Any] = {"file": SimpleUploadedFile(name, data)}
    if dry_run:
        form["dry_run"] = "on"
    return client.post(reverse(IMPORT_URL), form)


def test_changelist_links_to_the_import_page(unit_admin: Client) -> None:
    page = unit_admin.get(reverse("admin:orgs_unit_changelist"))
    assert reverse(IMPORT_URL) in page.content.decode()
    form = unit_admin.get(reverse(IMPORT_URL))
    assert form.status_code == 200
    assert "仅预览(dry run)" in form.content.decode()


def test_admin_upload_imports_units_with_the_admin_as_actor(unit_admin: Client) -> None:
    response = upload(unit_admin, xlsx_bytes(COUNTY), dry_run=False)
    assert response.status_code == 302
    assert_county_imported()
    assert AuditRecord.objects.get(action="unit.import").actor_name == "unitadmin"
    changelist = unit_admin.get(response["Location"])
    assert "新建 6 个单位" in changelist.content.decode()


def test_admin_dry_run_shows_the_plan_and_writes_nothing(unit_admin: Client) -> None:
    response = upload(unit_admin, csv_bytes(COUNTY), dry_run=True, name="county.csv")
    assert response.status_code == 200
    page = response.content.decode()
    assert "预览(未写入):新建 6 个单位" in page
    assert "县实验中学" in page
    assert not Unit.objects.exists()


def test_admin_bad_file_shows_the_row_and_imports_nothing(unit_admin: Client) -> None:
    rows = [*COUNTY, ["XX03", "丙镇", "乡镇", "XX99", "", ""]]
    response = upload(unit_admin, xlsx_bytes(rows), dry_run=False)
    assert response.status_code == 200
    assert "第 8 行:上级代码“XX99”不存在。" in response.content.decode()
    assert not Unit.objects.exists()


def test_admin_import_needs_add_and_change_permission(client: Client) -> None:
    viewer = make_user(role=Role.SYSADMIN, is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="orgs", codename="view_unit")
    )
    client.force_login(viewer)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, xlsx_bytes(COUNTY), dry_run=False).status_code == 403
    assert not Unit.objects.exists()
    changelist = client.get(reverse("admin:orgs_unit_changelist"))
    assert reverse(IMPORT_URL) not in changelist.content.decode()
