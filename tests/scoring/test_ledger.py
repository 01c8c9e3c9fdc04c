from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import County
from tests.factories import category
from tests.scoring.conftest import YEAR, carry
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Item
from xinbao.publishing.models import ExternalAdoption, Instruction, Publication
from xinbao.scoring import ledger, services
from xinbao.scoring.models import ManualAdjustment, RuleSet, ScoreEntry
from xinbao.topics.models import Topic, TopicTarget

END_OF_YEAR = datetime.date(YEAR, 12, 31)
LONG = "基层党组织建设情况。" * 30  # 300 characters

Pubs = dict[str, Publication]


def lines(county: County, unit: Any = None) -> list[tuple[str, Decimal]]:
    qs = ScoreEntry.objects.filter(department=county.dept, year=YEAR)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return [(e.reason, e.points) for e in qs.order_by("fact_date", "fact_id", "unit_id")]


def total(county: County, unit: Any) -> Decimal:
    return sum((p for _, p in lines(county, unit)), Decimal(0))


def rebuild(county: County) -> ledger.RebuildResult:
    return ledger.rebuild(county.dept, YEAR, today=END_OF_YEAR)


def test_county_adoption_line_names_issue_level_and_points(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset()
    item = submitted()
    entry = carry(item, publications["county"])
    rebuild(county)
    [line] = ScoreEntry.objects.filter(department=county.dept)
    number = entry.issue.number
    assert line.reason == f"《组工信息》{YEAR}年第{number}期采用(县级)+2"
    assert (line.unit, line.item, line.points) == (county.town_a, item, Decimal(2))
    assert (line.fact_type, line.fact_id, line.rule) == (
        "adoption",
        f"entry:{entry.pk}",
        "adoption.periodical.county",
    )


def test_no_ruleset_is_a_clear_refusal(county: County) -> None:
    with pytest.raises(InvalidInput, match="尚无 2026 年的考核办法"):
        rebuild(county)


def test_highest_only_counts_the_best_level_once(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset(multi_level="highest_only")
    item = submitted()
    carry(item, publications["county"])
    carry(item, publications["web"])
    carry(item, publications["city"], on=datetime.date(YEAR, 4, 2))
    rebuild(county)
    assert total(county, county.town_a) == Decimal(10)
    zeros = [reason for reason, points in lines(county) if points == 0]
    assert len(zeros) == 2
    assert all("同一信息只计最高一次,已按《澜江组工》" in reason for reason in zeros)


def test_cumulative_adds_every_level(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset(multi_level="cumulative")
    item = submitted()
    carry(item, publications["county"])
    carry(item, publications["web"])
    carry(item, publications["city"])
    ExternalAdoption.objects.create(
        item=item,
        kind=ExternalAdoption.Kind.NEWSPAPER,
        level="city",
        outlet="澜江日报",
        issue_label="第3版",
        adopted_on=datetime.date(YEAR, 5, 1),
        recorded_by=county.editor,
    )
    rebuild(county)
    assert total(county, county.town_a) == Decimal(2 + 1 + 10 + 3)
    assert "《澜江日报》第3版采用(市级)+3" in [reason for reason, _ in lines(county)]


def test_joint_item_is_split_equally_and_the_shares_sum_to_the_points(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset()
    item = submitted()
    third = county.other_dept  # any unit: the split does not care where co-units sit
    item.co_units.add(county.town_b, third)
    carry(item, publications["city"])
    rebuild(county)
    shares = {e.unit_id: e.points for e in ScoreEntry.objects.all()}
    assert shares == {
        county.town_a.pk: Decimal("3.34"),
        county.town_b.pk: Decimal("3.33"),
        third.pk: Decimal("3.33"),
    }
    assert sum(shares.values()) == Decimal(10)
    assert "联合报送3个单位均分" in ScoreEntry.objects.first().reason  # type: ignore[union-attr]


def test_lead_only_gives_the_reporting_unit_everything(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset(joint_split="lead_only")
    item = submitted()
    item.co_units.add(county.town_b)
    carry(item, publications["city"])
    rebuild(county)
    assert total(county, county.town_a) == Decimal(10)
    assert total(county, county.town_b) == Decimal(0)


def test_cap_limits_items_of_a_category_per_month(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset(caps={"动态": 1})
    march = [submitted(title=f"三月动态{n}") for n in range(2)]
    april = submitted(title="四月动态")
    experience = submitted(title="三月经验", category=category("经验做法"))
    carry(march[0], publications["county"], on=datetime.date(YEAR, 3, 5))
    carry(march[1], publications["county"], on=datetime.date(YEAR, 3, 25))
    carry(april, publications["county"], on=datetime.date(YEAR, 4, 5))
    carry(experience, publications["county"], on=datetime.date(YEAR, 3, 26))
    rebuild(county)
    by_item = {e.item_id: e for e in ScoreEntry.objects.all()}
    assert by_item[march[0].pk].points == Decimal(2)
    assert by_item[march[1].pk].points == Decimal(0)
    assert "超过每月1条“动态”类信息的上限,不计分" in by_item[march[1].pk].reason
    assert by_item[april.pk].points == Decimal(2)
    assert by_item[experience.pk].points == Decimal(2)


def test_quality_bar_keeps_short_items_at_zero_with_the_reason(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset(quality={"min_chars": 200})
    short = submitted(title="短", body="太短了。")
    long = submitted(title="长", body=LONG)
    carry(short, publications["city"])
    carry(long, publications["city"])
    rebuild(county)
    by_item = {e.item_id: e for e in ScoreEntry.objects.all()}
    assert by_item[short.pk].points == 0
    assert "正文4字,未达到200字的质量要求,不计分" in by_item[short.pk].reason
    assert by_item[long.pk].points == Decimal(10)


def test_instructions_score_by_leader_level(
    county: County, ruleset: Callable[..., RuleSet], submitted: Callable[..., Item]
) -> None:
    ruleset()
    item = submitted()
    for level, title in (("province", "省委常委、组织部部长"), ("county", "县委书记")):
        Instruction.objects.create(
            item=item,
            level=level,
            leader_title=title,
            instructed_on=datetime.date(YEAR, 6, 1),
            text="很好。",
            recorded_by=county.editor,
        )
    rebuild(county)
    assert sorted(reason for reason, _ in lines(county)) == [
        "县委书记批示(县级)+5",
        "省委常委、组织部部长批示(省级)+20",
    ]


def _topic(county: County, title: str, month: int) -> Topic:
    deadline = timezone.make_aware(datetime.datetime(YEAR, month, 15, 17))
    return Topic.objects.create(
        department=county.dept,
        title=title,
        wanted="请报送。",
        deadline=deadline,
        targeting=Topic.Targeting.LIST,
        created_by=county.editor,
    )


def _target(county: County, title: str, month: int, unit: Any, outcome: str, **kw: Any) -> None:
    TopicTarget.objects.create(topic=_topic(county, title, month), unit=unit, outcome=outcome, **kw)


def test_topic_bonus_and_penalties(county: County, ruleset: Callable[..., RuleSet]) -> None:
    ruleset(topic={"adopted_bonus": 5, "late_or_missed_penalty": -10, "zero_year_after_missed": 2})
    Outcome = TopicTarget.Outcome
    _target(county, "换届", 3, county.town_a, Outcome.ANSWERED_ON_TIME, adopted_at=timezone.now())
    _target(county, "乡村振兴", 4, county.town_a, Outcome.ANSWERED_ON_TIME)  # not adopted: 0
    _target(county, "人才", 5, county.town_a, Outcome.ANSWERED_LATE)
    _target(county, "党建引领", 6, county.town_b, Outcome.MISSED)
    rebuild(county)
    assert lines(county, county.town_a) == [
        ("约稿《换届》按时回复并被采用+5", Decimal(5)),
        ("约稿《人才》逾期回复-10", Decimal(-10)),
    ]
    assert lines(county, county.town_b) == [("约稿《党建引领》未回复-10", Decimal(-10))]


def test_two_missed_topics_make_the_year_zero(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    ruleset(topic={"adopted_bonus": 5, "late_or_missed_penalty": -10, "zero_year_after_missed": 2})
    carry(submitted(), publications["city"])
    _target(county, "一", 3, county.town_a, TopicTarget.Outcome.MISSED)
    _target(county, "二", 4, county.town_a, TopicTarget.Outcome.MISSED)
    rebuild(county)
    assert total(county, county.town_a) == 0
    last = ScoreEntry.objects.filter(unit=county.town_a).order_by("fact_date").last()
    assert last is not None
    assert last.fact_type == "annul"
    assert last.reason == "本年度未回复约稿2次,全年计0分(+10)"


def test_monthly_quota_base_points_and_missing_item_deductions(
    county: County, ruleset: Callable[..., RuleSet], submitted: Callable[..., Item]
) -> None:
    ruleset(
        quotas={"township": {"month": 1, "quarter": 3}},
        monthly_base=10,
        missing_item_deduction=-2,
    )
    submitted(on=datetime.date(YEAR, 1, 8))
    submitted(on=datetime.date(YEAR, 3, 8))
    ledger.rebuild(county.dept, YEAR, today=datetime.date(YEAR, 4, 10))
    assert lines(county, county.town_a) == [
        ("2026年1月报送1条,完成月度任务1条+10", Decimal(10)),
        ("2026年2月报送0条,少于任务1条,漏报1条-2", Decimal(-2)),
        ("2026年3月报送1条,完成月度任务1条+10", Decimal(10)),
        ("2026年第1季度报送2条,少于任务3条,漏报1条-2", Decimal(-2)),
    ]
    # Town B reported nothing: three months and the quarter short; April is still running.
    assert total(county, county.town_b) == Decimal(-2 * 3 - 2 * 3)


def test_editor_deduction_is_a_fact_scored_by_the_rules(
    county: County, ruleset: Callable[..., RuleSet], django_capture_on_commit_callbacks: Any
) -> None:
    ruleset(deductions={"inaccurate": -5})
    with django_capture_on_commit_callbacks(execute=True):
        adjustment = services.adjustment_record(
            actor=county.editor,
            unit=county.town_a,
            kind=ManualAdjustment.Kind.INACCURATE,
            reason="3月12日信息中数据与统计局不符",
            occurred_on=datetime.date(YEAR, 3, 12),
            count=2,
        )
    # Recording the fact brought the ledger up to date once it committed.
    assert lines(county, county.town_a) == [
        ("信息失实2次:3月12日信息中数据与统计局不符 -10", Decimal(-10))
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.adjustment_revoke(actor=county.editor, adjustment=adjustment, reason="经核实无误")
    assert lines(county, county.town_a) == []


def test_only_the_departments_editor_records_deductions(county: County) -> None:
    for actor, unit in (
        (county.officer_a, county.town_a),
        (county.other_editor, county.town_a),
    ):
        with pytest.raises(NotAllowed):
            services.adjustment_record(
                actor=actor,
                unit=unit,
                kind="other",
                reason="x",
                occurred_on=datetime.date(YEAR, 1, 1),
            )
    assert not ManualAdjustment.objects.exists()


def test_rebuild_is_idempotent(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
) -> None:
    from xinbao.scoring.rules import DEMO_RULES

    RuleSet.objects.create(department=county.dept, year=YEAR, name="演示", rules=DEMO_RULES)
    for n in range(3):
        item = submitted(title=f"信息{n}", body=LONG, on=datetime.date(YEAR, n + 2, 3))
        carry(item, publications["county"], on=datetime.date(YEAR, n + 2, 9))
        if n:
            carry(item, publications["city"], on=datetime.date(YEAR, n + 2, 19))
            item.co_units.add(county.town_b)
    _target(county, "一", 3, county.town_b, TopicTarget.Outcome.MISSED)

    def snapshot() -> list[tuple[Any, ...]]:
        return list(
            ScoreEntry.objects.order_by("unit_id", "fact_date", "fact_type", "fact_id").values_list(
                "unit_id",
                "item_id",
                "fact_type",
                "fact_id",
                "fact_date",
                "points",
                "reason",
                "rule",
            )
        )

    first = rebuild(county)
    before = snapshot()
    second = rebuild(county)
    assert snapshot() == before
    assert first.entries == second.entries > 0
    assert first.changed == first.entries
    assert second.changed == 0


@pytest.mark.parametrize("mode", ["highest_only", "cumulative"])
def test_adding_an_adoption_never_lowers_points_and_highest_counts_once(
    county: County,
    ruleset: Callable[..., RuleSet],
    submitted: Callable[..., Item],
    publications: Pubs,
    mode: str,
) -> None:
    ruleset(multi_level=mode)
    items = [submitted(title=f"信息{n}") for n in range(2)]
    items[1].co_units.add(county.town_b)
    steps = [(0, "web"), (0, "county"), (1, "county"), (0, "city"), (1, "web"), (1, "city")]
    previous = {county.town_a.pk: Decimal(0), county.town_b.pk: Decimal(0)}
    for month, (index, outlet) in enumerate(steps, start=1):
        carry(items[index], publications[outlet], on=datetime.date(YEAR, month, 10))
        rebuild(county)
        now = {unit: total(county, unit) for unit in (county.town_a, county.town_b)}
        for unit, points in now.items():
            assert points >= previous[unit.pk]
            previous[unit.pk] = points
        if mode == "highest_only":
            for item in items:
                paid = ScoreEntry.objects.filter(item=item, unit=item.unit, points__gt=0)
                assert paid.count() <= 1
    # Item 0 alone; item 1 shared equally with town B.
    expected = Decimal(10 + 5) if mode == "highest_only" else Decimal("13") + Decimal("6.5")
    assert previous[county.town_a.pk] == expected
