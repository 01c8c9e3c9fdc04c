"""Worked examples of the demo 考核办法 (``rules.DEMO_RULES``), checked to the point: one
township's year (adoptions by level, 参阅类 5 and a photo 0.5, a leader's instruction, a topic,
monthly base points, the 漏报 deductions of a month, a quarter and the 参阅类 quota), a
township that missed two topics and so gets zero for the year, and county departments of
classes A and B with the same facts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_unit, make_user
from tests.scoring.conftest import YEAR, carry
from xinbao.items.models import Item
from xinbao.orgs.models import Role, Unit
from xinbao.publishing.models import Instruction, Publication
from xinbao.scoring import ledger
from xinbao.scoring.models import ItemReview, RuleSet, ScoreEntry
from xinbao.scoring.rules import DEMO_RULES
from xinbao.topics.models import Topic, TopicTarget

pytestmark = pytest.mark.django_db
LONG = "基层党组织建设情况。" * 30
NEXT_YEAR = datetime.date(YEAR + 1, 1, 1)  # every period of YEAR is closed


def topic(county: County, title: str, month: int) -> Topic:
    return Topic.objects.create(
        department=county.dept,
        title=title,
        wanted="请报送。",
        deadline=timezone.make_aware(datetime.datetime(YEAR, month, 15, 17)),
        targeting=Topic.Targeting.LIST,
        created_by=county.editor,
    )


def total(unit: object) -> Decimal:
    return sum((e.points for e in ScoreEntry.objects.filter(unit=unit)), Decimal(0))


def test_a_townships_year_under_the_demo_rules(
    county: County, submitted: Callable[..., Item], publications: dict[str, Publication]
) -> None:
    RuleSet.objects.create(department=county.dept, year=YEAR, name="演示", rules=DEMO_RULES)
    per_month = {1: 1, 2: 1, 3: 0, 4: 1, 5: 1, 6: 2, 7: 1, 8: 1, 9: 1, 10: 1, 11: 1, 12: 1}
    items: dict[int, Item] = {}
    for month, count in per_month.items():
        for n in range(count):
            day = datetime.date(YEAR, month, 5 + n)
            items.setdefault(month, submitted(on=day, title=f"{month}月信息{n}", body=LONG))
    carry(items[1], publications["county"], on=datetime.date(YEAR, 1, 20))  # +2
    carry(items[2], publications["county"], on=datetime.date(YEAR, 2, 20))  # 0: highest only
    carry(items[2], publications["city"], on=datetime.date(YEAR, 2, 25))  # +10
    ItemReview.objects.create(item=items[4], kind="reference", score=80, reviewed_by=county.editor)
    carry(items[4], publications["county"], on=datetime.date(YEAR, 4, 20))  # 参阅类 +5
    ItemReview.objects.create(item=items[5], kind="photo", reviewed_by=county.editor)
    carry(items[5], publications["web"], on=datetime.date(YEAR, 5, 20))  # photo +0.5
    Instruction.objects.create(
        item=items[1], level="county", leader_title="县委书记",
        instructed_on=datetime.date(YEAR, 1, 25), text="很好。", recorded_by=county.editor,
    )  # fmt: skip
    TopicTarget.objects.create(
        topic=topic(county, "基层治理", 7), unit=county.town_a,
        outcome=TopicTarget.Outcome.ANSWERED_ON_TIME, adopted_at=timezone.now(),
    )  # fmt: skip
    ledger.rebuild(county.dept, YEAR, today=NEXT_YEAR)

    rows = {
        (e.rule, e.fact_id): e.points
        for e in ScoreEntry.objects.filter(unit=county.town_a).exclude(points=0)
    }
    # 11 months met the monthly quota of 1: 11 × 10; March had none: 漏报 1 × −2.
    base = [p for (rule, _f), p in rows.items() if rule == "monthly_base"]
    assert base == [Decimal(10)] * 11
    assert rows[("quotas.township.month+missing_item_deduction", f"{YEAR}-03")] == -2
    # Q1 had 2 of 3: −2; the other quarters and the year met theirs.
    assert rows[("quotas.township.quarter+missing_item_deduction", f"{YEAR}-Q1")] == -2
    assert not any(f"{YEAR}-Q2" == f or f == f"{YEAR}" for (_r, f) in rows if _r.startswith("q"))
    # 参阅类 quota 2 a quarter: Q1 0 (−4), Q2 1 (−2), Q3 0 (−4), Q4 0 (−4).
    reference = {f: p for (r, f), p in rows.items() if r.startswith("reference_quotas")}
    assert reference == {
        f"reference:{YEAR}-Q1": -4,
        f"reference:{YEAR}-Q2": -2,
        f"reference:{YEAR}-Q3": -4,
        f"reference:{YEAR}-Q4": -4,
    }
    adoption = sorted(p for (r, _f), p in rows.items() if r.startswith(("adoption", "kind_")))
    assert adoption == [Decimal("0.5"), Decimal(2), Decimal(5), Decimal(10)]
    by_rule = {rule: points for (rule, _f), points in rows.items()}
    assert by_rule["kind_points.reference.periodical.county"] == 5
    assert by_rule["kind_points.photo.web_column.county"] == Decimal("0.5")
    assert by_rule["adoption.periodical.city"] == 10
    assert by_rule["instruction.county"] == 5
    assert by_rule["topic.adopted_bonus"] == 5
    # 110 − 2 − 2 − 14 + 17.5 + 5 + 5
    assert total(county.town_a) == Decimal("119.5")


def test_two_missed_topics_zero_the_demo_year(
    county: County, submitted: Callable[..., Item], publications: dict[str, Publication]
) -> None:
    RuleSet.objects.create(department=county.dept, year=YEAR, name="演示", rules=DEMO_RULES)
    item = submitted(on=datetime.date(YEAR, 2, 3), officer=county.officer_b, body=LONG)
    carry(item, publications["city"], on=datetime.date(YEAR, 2, 10))  # +10
    for month, title in ((3, "一"), (9, "二")):
        TopicTarget.objects.create(
            topic=topic(county, title, month), unit=county.town_b,
            outcome=TopicTarget.Outcome.MISSED,
        )  # fmt: skip
    ledger.rebuild(county.dept, YEAR, today=NEXT_YEAR)
    lines = ScoreEntry.objects.filter(unit=county.town_b)
    penalties = [e.points for e in lines if e.rule == "topic.late_or_missed_penalty"]
    assert penalties == [Decimal(-10), Decimal(-10)]
    [annul] = [e for e in lines if e.fact_type == "annul"]
    assert annul.reason.startswith("本年度未回复约稿2次,全年计0分")
    assert annul.points == -sum(e.points for e in lines if e.fact_type != "annul")
    assert total(county.town_b) == 0


def test_county_departments_of_each_class_under_the_demo_rules(
    county: County, submitted: Callable[..., Item], publications: dict[str, Publication]
) -> None:
    """The same year's facts for an A类 and a B类 department: A类 has a monthly quota with a
    base of 10, a quarterly and a yearly one, and 2 参阅类 a year; B类 only 2 a quarter and 8
    a year, and no base points."""
    RuleSet.objects.create(department=county.dept, year=YEAR, name="演示", rules=DEMO_RULES)
    per_month = {1: 1, 2: 1, 3: 0, 4: 1, 5: 1, 6: 2, 7: 1, 8: 1, 9: 1, 10: 1, 11: 1, 12: 1}
    units = {}
    for klass in ("dept_a", "dept_b"):
        unit = make_unit(
            name=f"县{klass}局",
            kind=Unit.Kind.DEPARTMENT,
            parent=county.dept,
            assessment_class=klass,
        )
        officer = make_user(role=Role.OFFICER, unit=unit)
        first = None
        for month, count in per_month.items():
            for n in range(count):
                made = submitted(on=datetime.date(YEAR, month, 5 + n), officer=officer, body=LONG)
                first = first or made
        assert first is not None
        ItemReview.objects.create(item=first, kind="reference", score=80, reviewed_by=county.editor)
        carry(first, publications["county"], on=datetime.date(YEAR, 1, 20))  # 参阅类 +5
        units[klass] = unit
    ledger.rebuild(county.dept, YEAR, today=NEXT_YEAR)

    a = {(e.rule, e.fact_id): e.points for e in ScoreEntry.objects.filter(unit=units["dept_a"])}
    assert [p for (rule, _f), p in a.items() if rule == "monthly_base"] == [Decimal(10)] * 11
    assert a[("quotas.dept_a.month+missing_item_deduction", f"{YEAR}-03")] == -2
    assert a[("quotas.dept_a.quarter+missing_item_deduction", f"{YEAR}-Q1")] == -2
    assert a[("reference_quotas.dept_a.year+missing_item_deduction", f"reference:{YEAR}")] == -2
    assert [p for (rule, _f), p in a.items() if rule.startswith("kind_points")] == [5]
    assert total(units["dept_a"]) == Decimal(110 - 2 - 2 - 2 + 5)
    # B类: every quarter has at least 2 and the year 12 ≥ 8: only the adoption counts.
    b_rules = set(ScoreEntry.objects.filter(unit=units["dept_b"]).values_list("rule", flat=True))
    assert b_rules == {"kind_points.reference.periodical.county"}
    assert total(units["dept_b"]) == 5
