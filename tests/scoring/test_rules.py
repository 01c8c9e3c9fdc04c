from __future__ import annotations

from decimal import Decimal

from xinbao.scoring.rules import DEMO_RULES, signed, validate_rules


def test_demo_rules_are_valid() -> None:
    assert validate_rules(DEMO_RULES) == []


def test_rules_must_be_a_table() -> None:
    assert validate_rules([1, 2]) == ["考核办法必须是一个键值表(JSON 对象)。"]


def test_unknown_keys_are_named_with_the_allowed_ones() -> None:
    errors = validate_rules({"adoptoin": {}, "adoption": {"paper": {"county": 1}}})
    assert errors[0].startswith("未知的规则项“adoptoin”,可用的项:adoption、")
    assert errors[1].startswith("“adoption”中有未知的项“paper”,可用的项:periodical、")


def test_figures_are_checked_with_their_path() -> None:
    errors = validate_rules(
        {
            "adoption": {"periodical": {"city": "十"}},
            "instruction": {"county": -5},
            "topic": {"late_or_missed_penalty": 10, "zero_year_after_missed": 1.5},
            "quotas": {"township": {"week": 1, "month": -1}},
            "multi_level": "all",
            "caps": {"动态": 0},
        }
    )
    assert errors == [
        "“adoption.periodical.city”必须是数字。",
        "“instruction.county”不能是负数。",
        "“multi_level”只能是:highest_only、cumulative。",
        "“caps.动态”必须是 1 到 100000 之间的整数。",
        "“topic.late_or_missed_penalty”是扣分,应为负数或 0。",
        "“topic.zero_year_after_missed”必须是 0 到 100000 之间的整数。",
        "“quotas.township”中有未知的项“week”,可用的项:month、quarter、year。",
        "“quotas.township.month”必须是 0 到 100000 之间的整数。",
    ]


def test_booleans_are_not_numbers() -> None:
    assert validate_rules({"monthly_base": True}) == ["“monthly_base”必须是数字。"]


def test_signed_amounts() -> None:
    assert signed(Decimal("2.00")) == "+2"
    assert signed(Decimal("0.50")) == "+0.5"
    assert signed(Decimal("-10")) == "-10"
    assert signed(Decimal("3.33")) == "+3.33"
    assert signed(Decimal(0)) == "+0"
