"""The assessment's setup through the API: the year's rule set, the units' assessment classes and
the deduction facts, each with its success, validation error and permission error, and each
refusal writing nothing (the same services as the editors' pages)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_item, make_unit
from xinbao.audit.models import AuditRecord
from xinbao.orgs.models import Unit, User
from xinbao.scoring.models import ManualAdjustment, RuleSet
from xinbao.scoring.rules import DEMO_RULES

Api = Callable[[User | None], ApiClient]
YEAR = 2026


def audit_count(action: str) -> int:
    return AuditRecord.objects.filter(action=action, success=True).count()


def test_rules_read_draft_save_and_read_back(county: County, api: Api) -> None:
    editor = api(county.editor)
    draft = editor.get("/assessment/rules", {"year": YEAR})
    assert draft.status_code == 200, draft.content
    assert draft.json()["saved"] is False
    assert draft.json()["rules"] == DEMO_RULES

    rules = {**DEMO_RULES, "multi_level": "highest_only"}
    body = {"year": YEAR, "name": "2026年度考核办法", "rules": rules}
    saved = editor.client.put(
        "/api/v1/assessment/rules", body, content_type="application/json", headers=editor.headers()
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["saved"] is True
    stored = RuleSet.objects.get(department=county.dept, year=YEAR)
    assert stored.name == "2026年度考核办法"
    assert audit_count("ruleset.create") == 1
    again = api(county.dept_leader).get("/assessment/rules", {"year": YEAR})
    assert again.json()["name"] == "2026年度考核办法"
    assert again.json()["saved"] is True


def put(client: ApiClient, path: str, body: object) -> Any:
    return client.client.put(
        "/api/v1" + path, body, content_type="application/json", headers=client.headers()
    )


def test_bad_rules_and_a_leader_change_nothing(county: County, api: Api) -> None:
    bad = {"year": YEAR, "name": "办法", "rules": {**DEMO_RULES, "multi_level": "每级都算两次"}}
    refused = put(api(county.editor), "/assessment/rules", bad)
    assert refused.status_code == 400
    assert "“multi_level”只能是" in refused.json()["detail"]
    good = {"year": YEAR, "name": "办法", "rules": DEMO_RULES}
    by_leader = put(api(county.dept_leader), "/assessment/rules", good)
    assert by_leader.status_code == 403
    assert not RuleSet.objects.exists()
    assert api(county.officer_a).get("/assessment/rules").status_code == 404


def test_classes_listed_and_set_by_chinese_name(county: County, api: Api) -> None:
    department = make_unit(name="县卫健局", kind=Unit.Kind.DEPARTMENT, parent=county.dept)
    editor = api(county.editor)
    listed = {row["unit_code"]: row for row in editor.get("/assessment/classes").json()}
    assert set(listed) == {county.town_a.code, county.town_b.code, department.code}
    assert listed[county.town_a.code]["unit_class"] == "township"

    body = {"classes": [{"unit_code": department.code, "unit_class": "县直部门A类"}]}
    answer = put(editor, "/assessment/classes", body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["changed"] == 1
    department.refresh_from_db()
    assert department.assessment_class == "dept_a"
    assert audit_count("unit.assessment_class") == 1


def test_a_bad_class_or_unit_sets_nothing(county: County, api: Api) -> None:
    editor = api(county.editor)
    body = {
        "classes": [
            {"unit_code": county.town_a.code, "unit_class": "county"},
            {"unit_code": "NOPE", "unit_class": "乡镇"},
        ]
    }
    answer = put(editor, "/assessment/classes", body)
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert "county" in detail and "NOPE" in detail
    # A township cannot be a department class: refused by the service, nothing saved.
    wrong_kind = {"classes": [{"unit_code": county.town_a.code, "unit_class": "dept_a"}]}
    assert put(editor, "/assessment/classes", wrong_kind).status_code == 400
    leader = {"classes": [{"unit_code": county.town_a.code, "unit_class": "乡镇"}]}
    assert put(api(county.dept_leader), "/assessment/classes", leader).status_code == 403
    assert audit_count("unit.assessment_class") == 0
    county.town_a.refresh_from_db()
    assert county.town_a.assessment_class in ("", "township")


def test_deduction_recorded_listed_and_revoked(county: County, api: Api) -> None:
    editor = api(county.editor)
    item = make_item(officer=county.officer_a)
    body = {
        "kind": "inaccurate",
        "reason": "信息失实,经核查数字有误",
        "occurred_on": f"{YEAR}-05-04",
        "count": 2,
        "item_id": item.pk,
    }
    created = editor.post(f"/units/{county.town_a.pk}/adjustments", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["kind_label"], data["count"], data["revoked"]) == ("信息失实", 2, False)
    listed = editor.get(f"/units/{county.town_a.pk}/adjustments", {"year": YEAR}).json()
    assert [row["id"] for row in listed] == [data["id"]]

    revoked = editor.post(f"/adjustments/{data['id']}/revoke", {"reason": "复核后撤销"})
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["revoked"] is True
    again = editor.post(f"/adjustments/{data['id']}/revoke", {"reason": "再撤一次"})
    assert again.status_code == 400
    assert "已撤销" in again.json()["detail"]
    assert audit_count("score.adjustment") == 1
    assert audit_count("score.adjustment_revoke") == 1


def test_deduction_refusals_write_nothing(county: County, api: Api) -> None:
    other_item = make_item(officer=county.officer_b)
    body = {
        "kind": "late_report",
        "reason": "迟报",
        "occurred_on": datetime.date(YEAR, 3, 1).isoformat(),
        "item_id": other_item.pk,
    }
    path = f"/units/{county.town_a.pk}/adjustments"
    wrong_item = api(county.editor).post(path, body)
    assert wrong_item.status_code == 400
    assert "该单位" in wrong_item.json()["detail"]
    del body["item_id"]
    assert api(county.dept_leader).post(path, body).status_code == 403
    assert api(county.other_editor).post(path, body).status_code == 404
    assert api(county.officer_a).post(path, body).status_code == 404
    assert api(county.officer_a).get(path).status_code == 404
    assert not ManualAdjustment.objects.exists()


@pytest.mark.parametrize("who", ["officer_a", "other_editor"])
def test_others_cannot_revoke(county: County, api: Api, who: str) -> None:
    adjustment = ManualAdjustment.objects.create(
        department=county.dept,
        year=YEAR,
        unit=county.town_a,
        kind=ManualAdjustment.Kind.OTHER,
        occurred_on=datetime.date(YEAR, 2, 1),
        reason="其他",
        created_by=county.editor,
    )
    answer = api(getattr(county, who)).post(f"/adjustments/{adjustment.pk}/revoke", {"reason": "x"})
    assert answer.status_code == 404
    adjustment.refresh_from_db()
    assert adjustment.revoked_at is None
