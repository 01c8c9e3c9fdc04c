"""Rule sets (考核办法) and the editor's rubric (ItemReview) on pages: editors edit them, a bad
input gets a Chinese message, saves nothing and keeps what was typed; a saved rule set rebuilds
the year's ledger after commit; leaders read; downloads open back; bounded query counts."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import yaml
from django.test import Client

from tests.conftest import County
from tests.scoring.conftest import BASE_RULES, YEAR, carry
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Item
from xinbao.publishing.models import Publication
from xinbao.scoring.models import ItemReview, RuleSet, ScoreEntry
from xinbao.scoring.rules import DEMO_RULES

pytestmark = pytest.mark.django_db
LONG = "基层党组织建设情况。" * 30
URL = f"/scoring/rules/?year={YEAR}"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def adopted(
    county: County, submitted: Callable[..., Item], publications: dict[str, Publication]
) -> Item:
    item = submitted(on=datetime.date(YEAR, 3, 2), body=LONG)
    carry(item, publications["city"], on=datetime.date(YEAR, 3, 20))
    return item


def test_a_year_without_rules_opens_on_the_demo_draft(county: County) -> None:
    page = client_for(county.editor).get(URL)
    assert page.status_code == 200
    form = page.context["form"]
    assert json.loads(form.initial["rules"]) == DEMO_RULES
    assert form.initial["name"] == f"测试县委组织部{YEAR}年度组工信息工作考核办法"
    assert "本年度尚未设定考核办法" in page.content.decode()


def test_a_later_year_starts_from_the_earlier_rules(
    county: County, ruleset: Callable[..., RuleSet]
) -> None:
    ruleset()
    page = client_for(county.editor).get(f"/scoring/rules/?year={YEAR + 1}")
    assert json.loads(page.context["form"].initial["rules"]) == BASE_RULES


def test_editor_saves_rules_audited_and_the_ledger_is_rebuilt(
    county: County, adopted: Item, django_capture_on_commit_callbacks: Any
) -> None:
    rules = {**BASE_RULES, "adoption": {"periodical": {"city": 12}}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(county.editor).post(
            URL, {"name": "测试办法", "rules": json.dumps(rules, ensure_ascii=False)}
        )
    assert response.status_code == 302 and response["Location"] == URL
    ruleset = RuleSet.objects.get(department=county.dept, year=YEAR)
    assert (ruleset.name, ruleset.rules) == ("测试办法", rules)
    assert AuditRecord.objects.filter(action="ruleset.create").count() == 1
    assert ScoreEntry.objects.get(item=adopted).points == Decimal(12)
    # A change of a figure is the whole year's ledger at once.
    rules["adoption"]["periodical"]["city"] = 15
    with django_capture_on_commit_callbacks(execute=True):
        client_for(county.editor).post(URL, {"name": "测试办法", "rules": json.dumps(rules)})
    assert ScoreEntry.objects.get(item=adopted).points == Decimal(15)
    assert AuditRecord.objects.filter(action="ruleset.update").count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"adoption": {"periodical": {"county": 2}', "计分规则不是有效的 JSON"),
        (
            '{"adoption": {"periodical": {"county": "两分"}}}',
            "“adoption.periodical.county”必须是数字。",
        ),
        ('{"quotas": {"街道": {"month": 1}}}', "“quotas”中有未知的单位类别“街道”"),
        (
            '{"topic": {"late_or_missed_penalty": 10}}',
            "“topic.late_or_missed_penalty”是扣分,应为负数或 0。",
        ),
        ("[1, 2]", "考核办法必须是一个键值表(JSON 对象)。"),
    ],
)
def test_bad_rules_save_nothing_and_keep_the_typed_text(
    county: County, ruleset: Callable[..., RuleSet], text: str, message: str
) -> None:
    current = ruleset()
    response = client_for(county.editor).post(URL, {"name": "改过的名称", "rules": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "考核办法有误,未保存" in html
    assert response.context["form"]["rules"].value() == text  # typed text kept
    assert 'value="改过的名称"' in html
    assert RuleSet.objects.get().rules == current.rules
    assert RuleSet.objects.get().name == current.name


def test_chinese_class_names_are_stored_as_codes(county: County) -> None:
    rules = {"quotas": {"乡镇": {"month": 1}, "B类": {"quarter": 2}}}
    client_for(county.editor).post(URL, {"name": "办法", "rules": json.dumps(rules)})
    assert RuleSet.objects.get().rules == {
        "quotas": {"township": {"month": 1}, "dept_b": {"quarter": 2}}
    }


def test_leaders_read_the_rules_and_unit_people_do_not(
    county: County, ruleset: Callable[..., RuleSet]
) -> None:
    ruleset()
    page = client_for(county.dept_leader).get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="rules-text"' in html and "<textarea" not in html
    posted = client_for(county.dept_leader).post(URL, {"name": "x", "rules": "{}"})
    assert posted.status_code in (403, 404, 405)
    assert RuleSet.objects.get().rules == BASE_RULES
    for who in ("officer_a", "leader_a", "sysadmin"):
        assert client_for(getattr(county, who)).get(URL).status_code == 404


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_rules_download_opens_back(
    county: County, ruleset: Callable[..., RuleSet], fmt: str
) -> None:
    ruleset()
    response = client_for(county.dept_leader).get(
        f"/scoring/rules/download/?year={YEAR}&format={fmt}"
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    document = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    assert document["rules"] == BASE_RULES and document["year"] == YEAR
    assert document["department"] == county.dept.code


def test_rules_page_query_counts(
    county: County, ruleset: Callable[..., RuleSet], django_assert_max_num_queries: Any
) -> None:
    ruleset()
    editor = client_for(county.editor)
    with django_assert_max_num_queries(9):
        assert editor.get(URL).status_code == 200
    with django_assert_max_num_queries(14):  # the rebuild runs after commit, not counted here
        editor.post(URL, {"name": "办法", "rules": json.dumps(BASE_RULES)})
    with django_assert_max_num_queries(9):
        assert editor.post(URL, {"name": "办法", "rules": "{"}).status_code == 400


# --- the editor's rubric (ItemReview) --------------------------------------------------------


def test_item_page_offers_the_review_to_the_departments_editors_only(
    county: County, adopted: Item
) -> None:
    link = f"/scoring/items/{adopted.pk}/review/"
    assert link in client_for(county.editor).get(f"/items/{adopted.pk}/").content.decode()
    officer_page = client_for(county.officer_a).get(f"/items/{adopted.pk}/").content.decode()
    assert link not in officer_page


def test_a_bad_rubric_saves_nothing_and_keeps_the_typed_scores(
    county: County, adopted: Item, django_assert_max_num_queries: Any
) -> None:
    url = f"/scoring/items/{adopted.pk}/review/"
    editor = client_for(county.editor)
    with django_assert_max_num_queries(10):
        assert editor.get(url).status_code == 200
    response = editor.post(
        url, {"kind": "reference", "clear": "30", "accurate": "20", "timely": "20", "novel": "20"}
    )
    html = response.content.decode()
    assert "确保该值小于或等于25" in html  # Django's own message, in Chinese
    assert 'name="clear" value="30"' in html and 'name="accurate" value="20"' in html
    assert not ItemReview.objects.filter(item=adopted).exists()
    words = editor.post(url, {"kind": "reference", "clear": "十"}).content.decode()
    assert "输入整数" in words and not ItemReview.objects.exists()
