"""Assessment classes (考核类别: 乡镇 / 县直部门A、B、C类 / 部机关科室 / 其他单位): their defaults,
the quotas and base points that key on them, rankings within each class, the editors' page that
sets them (audited, the ledger following), rule files naming them, and the data migration."""

from __future__ import annotations

import datetime
import importlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client

from tests.conftest import County
from tests.factories import make_unit
from tests.scoring.conftest import YEAR
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.orgs.models import Unit
from xinbao.orgs.services import unit_save
from xinbao.scoring import ledger, reports
from xinbao.scoring.models import RuleSet, ScoreEntry
from xinbao.scoring.periods import year_period
from xinbao.scoring.ranking import class_of, unit_ranking
from xinbao.scoring.rules import DEMO_RULES, QUOTA_CLASSES, normalize_classes, validate_rules
from xinbao.scoring.ruleset_io import read_document
from xinbao.scoring.services import unit_classes_set
from xinbao.scoring.yearend import Thresholds, commendations, criticism

pytestmark = pytest.mark.django_db
TODAY = datetime.date(YEAR + 1, 1, 1)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def departments(county: County) -> dict[str, Unit]:
    """Three county departments: 县委办 set to A类, 财政局 left at the default (B类), 档案馆 C类."""
    return {
        "a": make_unit(
            name="县委办", kind=Unit.Kind.DEPARTMENT, parent=county.dept, assessment_class="dept_a"
        ),
        "b": make_unit(name="县财政局", kind=Unit.Kind.DEPARTMENT, parent=county.dept),
        "c": make_unit(
            name="县档案馆",
            kind=Unit.Kind.DEPARTMENT,
            parent=county.dept,
            assessment_class="dept_c",
        ),
    }


def test_classes_default_from_the_kind_and_follow_a_kind_change(
    county: County, departments: dict[str, Unit]
) -> None:
    assert county.town_a.assessment_class == "township"
    assert departments["b"].assessment_class == "dept_b"
    assert county.dept.assessment_class == "" and county.dept.effective_class == ""
    other = make_unit(name="县机关事务中心", kind=Unit.Kind.OTHER, parent=county.dept)
    assert (other.assessment_class, other.effective_class_label) == ("other", "其他单位")
    # A township cannot be put in a department class; a kind change resets a class it forbids.
    township = Unit.objects.get(pk=county.town_a.pk)
    township.assessment_class = "dept_a"
    with pytest.raises(Exception, match="考核类别不适用"):
        unit_save(unit=township, actor=None)
    unit = Unit.objects.get(pk=departments["a"].pk)
    unit.kind = Unit.Kind.TOWNSHIP
    unit_save(unit=unit, actor=None)
    assert Unit.objects.get(pk=unit.pk).assessment_class == "township"


def test_class_names_are_read_in_chinese_or_as_codes() -> None:
    assert class_of("乡镇") == "township"
    assert class_of("县直部门A类") == class_of("A类") == class_of("dept_a") == "dept_a"
    assert class_of("部机关科室") == "office"
    assert class_of("") is None
    with pytest.raises(ValueError, match="未知的单位类别“部门”,可用的类别:乡镇、县直部门A类"):
        class_of("部门")


def test_quotas_and_base_points_key_on_the_class(
    county: County, departments: dict[str, Unit], ruleset: Callable[..., RuleSet]
) -> None:
    """A month quota for A类 only: A类 misses twelve months (−2 each); B类 has a yearly quota
    of 2 (−4); C类 has none. Townships' months are worth a base of 10 when met (none here)."""
    ruleset(
        quotas={"dept_a": {"month": 1}, "dept_b": {"year": 2}, "township": {"month": 1}},
        monthly_base={"township": 10, "dept_a": 8},
        missing_item_deduction=-2,
    )
    ledger.rebuild(county.dept, YEAR, today=TODAY)
    totals = {
        unit: sum(ScoreEntry.objects.filter(unit=unit).values_list("points", flat=True))
        for unit in departments.values()
    }
    assert totals == {departments["a"]: -24, departments["b"]: -4, departments["c"]: 0}
    rules = set(ScoreEntry.objects.filter(unit=departments["a"]).values_list("rule", flat=True))
    assert rules == {"quotas.dept_a.month+missing_item_deduction"}
    line = ScoreEntry.objects.get(unit=departments["b"])
    assert line.reason == "2026年全年报送0条,少于任务2条,漏报2条-4"


def test_ranking_groups_units_by_class_and_quota_follows_it(
    county: County, departments: dict[str, Unit], ruleset: Callable[..., RuleSet]
) -> None:
    ruleset(quotas={"dept_a": {"quarter": 3}, "dept_c": {"year": 2}, "township": {"month": 1}})
    ranking = unit_ranking(county.dept, year_period(YEAR))
    assert [(g.kind, g.label) for g in ranking.groups] == [
        ("township", "乡镇"),
        ("dept_a", "县直部门A类"),
        ("dept_b", "县直部门B类"),
        ("dept_c", "县直部门C类"),
    ]
    quotas = {r.unit: r.quota for r in ranking.overall}
    assert quotas[departments["a"]] == 12 and quotas[departments["c"]] == 2
    assert quotas[departments["b"]] is None and quotas[county.town_a] == 12
    only_a = unit_ranking(county.dept, year_period(YEAR), unit_class="dept_a")
    assert [r.unit for r in only_a.overall] == [departments["a"]]
    # The statistics table names the class; the commendations and criticism follow it.
    data = reports.statistics_xlsx(county.dept, ranking)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    classes = {row[1]: row[2] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert classes["县委办"] == "县直部门A类" and classes["县档案馆"] == "县直部门C类"
    proposals = commendations(county.dept, YEAR, Thresholds())
    assert [g.kind for g in proposals.units] == ["township", "dept_a", "dept_b", "dept_c"]
    below = {r.unit for r in criticism(county.dept, YEAR, TODAY).below_quota}
    assert departments["a"] in below and departments["c"] in below
    assert departments["b"] not in below


def test_ranking_command_filters_by_a_chinese_class_name(
    county: County, departments: dict[str, Unit], ruleset: Callable[..., RuleSet]
) -> None:
    ruleset()
    out = io.StringIO()
    call_command(
        "ranking", "--year", str(YEAR), "--class", "A类", "--department", county.dept.code,
        "--format", "json", stdout=out,
    )  # fmt: skip
    rows = json.loads(out.getvalue())["rows"]
    assert [(r["unit"], r["unit_class"], r["unit_class_label"]) for r in rows] == [
        ("县委办", "dept_a", "县直部门A类")
    ]
    with pytest.raises(CommandError, match="未知的单位类别“县直”"):
        call_command(
            "ranking", "--year", str(YEAR), "--class", "县直", "--department", county.dept.code,
            stdout=io.StringIO(),
        )  # fmt: skip


def test_rule_files_name_classes_in_chinese_and_old_names_are_refused() -> None:
    rules = {"quotas": {"乡镇": {"month": 1}, "A类": {"quarter": 3}, "县直部门C类": {"year": 4}}}
    normalized = normalize_classes(rules)
    assert normalized == {
        "quotas": {"township": {"month": 1}, "dept_a": {"quarter": 3}, "dept_c": {"year": 4}}
    }
    assert validate_rules(normalized) == []
    errors = validate_rules({"quotas": {"department": {"year": 4}, "街道": {"year": 1}}})
    assert any("“department”已不再使用" in e and "dept_a、dept_b、dept_c" in e for e in errors)
    assert any("未知的单位类别“街道”" in e and "office(部机关科室)" in e for e in errors)
    assert validate_rules({"monthly_base": {"dept_a": -1}}) == ["“monthly_base.dept_a”不能是负数。"]
    document = json.dumps(
        {"department": "X", "year": YEAR, "name": "办法", "rules": rules}, ensure_ascii=False
    )
    data, problems = read_document(document)
    assert problems == [] and set(data["rules"]["quotas"]) == {"township", "dept_a", "dept_c"}


def test_the_demo_rule_set_has_quotas_for_every_class() -> None:
    assert set(DEMO_RULES["quotas"]) == set(QUOTA_CLASSES)
    assert validate_rules(DEMO_RULES) == []


def test_old_rule_sets_are_migrated_to_the_classes(county: County) -> None:
    migration = importlib.import_module("xinbao.scoring.migrations.0003_rules_by_assessment_class")
    RuleSet.objects.create(
        department=county.dept,
        year=YEAR,
        name="旧办法",
        rules={
            "quotas": {"township": {"month": 1}, "department": {"quarter": 1}},
            "reference_quotas": {"department": {"year": 1}},
            "monthly_base": 10,
        },
    )
    migration.forward(apps, None)
    rules = RuleSet.objects.get().rules
    assert rules["quotas"] == {
        "township": {"month": 1},
        "dept_a": {"quarter": 1},
        "dept_b": {"quarter": 1},
        "dept_c": {"quarter": 1},
    }
    assert set(rules["reference_quotas"]) == {"dept_a", "dept_b", "dept_c"}
    assert validate_rules(rules) == []


# --- the editors' page ---------------------------------------------------------------------


def test_editor_sets_classes_on_the_page_audited_and_the_ledger_follows(
    county: County,
    departments: dict[str, Unit],
    ruleset: Callable[..., RuleSet],
    django_capture_on_commit_callbacks: Any,
) -> None:
    ruleset(quotas={"dept_a": {"month": 1}}, missing_item_deduction=-2)
    ledger.rebuild(county.dept, YEAR)
    b = departments["b"]
    assert not ScoreEntry.objects.filter(unit=b).exists()
    editor = client_for(county.editor)
    page = editor.get("/scoring/classes/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="class-{b.pk}"' in html and "县直部门A类" in html
    # A township offers only its own class.
    assert f'<select name="class-{county.town_a.pk}"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post("/scoring/classes/", {f"class-{b.pk}": "dept_a"})
    assert response.status_code == 302
    assert Unit.objects.get(pk=b.pk).assessment_class == "dept_a"
    record = AuditRecord.objects.get(action="unit.assessment_class")
    assert record.changes == {"assessment_class": ["dept_b", "dept_a"]}
    # The year's ledger now holds B's monthly 漏报 lines of the closed months (the refresh ran
    # after commit) and equals a full rebuild.
    assert ScoreEntry.objects.filter(unit=b, rule="quotas.dept_a.month+missing_item_deduction")
    assert ledger.rebuild(county.dept, YEAR).changed == 0


def test_a_bad_class_saves_nothing_and_keeps_the_choices(
    county: County, departments: dict[str, Unit]
) -> None:
    a, b = departments["a"], departments["b"]
    editor = client_for(county.editor)
    response = editor.post(
        "/scoring/classes/",
        {f"class-{a.pk}": "dept_c", f"class-{county.town_a.pk}": "dept_b"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "甲镇:“县直部门B类”不是可选的考核类别。" in html
    assert Unit.objects.get(pk=a.pk).assessment_class == "dept_a"  # nothing saved
    assert not AuditRecord.objects.filter(action="unit.assessment_class").exists()
    # The choice made for 县委办 is still selected on the page that comes back.
    row = html.split(f'name="class-{a.pk}"')[1].split("</select>")[0]
    assert '<option value="dept_c" selected>' in row
    with pytest.raises(InvalidInput):
        unit_classes_set(actor=county.editor, department=county.dept, classes={b.pk: "nonsense"})


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        ("editor", 200, 302),
        ("dept_leader", 200, 405),
        ("officer_a", 404, 404),
        ("leader_a", 404, 404),
        ("sysadmin", 404, 404),
    ],
)
def test_classes_page_is_for_the_department(
    county: County, departments: dict[str, Unit], who: str, get: int, post: int
) -> None:
    client = client_for(getattr(county, who))
    assert client.get("/scoring/classes/").status_code == get
    data = {f"class-{departments['b'].pk}": "dept_c"}
    assert client.post("/scoring/classes/", data).status_code == post


def test_another_departments_unit_cannot_be_classed(county: County) -> None:
    other = make_unit(name="邻县局", kind=Unit.Kind.DEPARTMENT, parent=county.other_dept)
    with pytest.raises(InvalidInput, match="不属于本部门"):
        unit_classes_set(actor=county.editor, department=county.dept, classes={other.pk: "dept_a"})
    with pytest.raises(NotAllowed):  # not the editor's department
        unit_classes_set(actor=county.editor, department=county.other_dept, classes={})


def test_classes_page_query_counts_do_not_grow_with_units(
    county: County, django_assert_max_num_queries: Any
) -> None:
    editor = client_for(county.editor)
    counts: list[tuple[int, int]] = []
    for size in (2, 12):
        units = [
            make_unit(name=f"加测局{size}-{n}", kind=Unit.Kind.DEPARTMENT, parent=county.dept)
            for n in range(size)
        ]
        with django_assert_max_num_queries(10) as read:
            assert editor.get("/scoring/classes/").status_code == 200
        # Saving one changed unit; the others post their current class and change nothing.
        data = {
            f"class-{u.pk}": u.assessment_class for u in Unit.objects.filter(department=county.dept)
        }
        data[f"class-{units[0].pk}"] = "dept_c"
        with django_assert_max_num_queries(16) as write:
            assert editor.post("/scoring/classes/", data).status_code == 302
        counts.append((len(read), len(write)))
    assert counts[0] == counts[1]


def test_an_organization_department_has_no_class_to_set(county: County) -> None:
    with pytest.raises(InvalidInput, match="不属于本部门"):
        unit_classes_set(actor=county.editor, department=county.dept, classes={county.dept.pk: "x"})
