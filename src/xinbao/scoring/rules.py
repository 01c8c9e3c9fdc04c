"""The shape of a rule set (考核办法) and its one validator.

Every key is optional; an absent table scores nothing. The shape::

    adoption     {outlet: {level: points}}  outlet ∈ OUTLETS, level ∈ LEVELS, points ≥ 0
    instruction  {level: points}            a leader's instruction (领导批示) by the leader's level
    multi_level  "highest_only" | "cumulative"   an item carried at several levels
    joint_split  "equal" | "lead_only"      joint items: split among unit and co-units, or not
    kind_points  {item kind: {outlet: {level: points}}}   item kind ∈ ITEM_KINDS (an editor's
                                            ``ItemReview``): 参阅类 and 图片 figures; a missing
                                            figure falls back to ``adoption``
    quality      {"min_chars": n, "min_rubric": x, "rubric_required": bool}   an adoption of a
                                            shorter item, or of one whose rubric score is below
                                            ``min_rubric`` (or unscored, when required), scores 0
    caps         {category name: n}         at most n adopted items of the category a unit-month
    topic        {"adopted_bonus": p ≥ 0, "late_or_missed_penalty": p ≤ 0,
                  "zero_year_after_missed": n}   n missed topics in a year → the year is 0 (0: off)
    quotas       {class: {period: n}}       items a unit of the assessment class must submit;
                                            class ∈ QUOTA_CLASSES (``Unit.AssessmentClass``:
                                            township, dept_a, dept_b, dept_c, office, other; a
                                            file may name them in Chinese, 乡镇, 县直部门A类…,
                                            see ``normalize_classes``), period ∈ PERIODS
    reference_quotas {class: {period: n}}   counted 参阅类 items a unit must have adopted
    monthly_base p ≥ 0 | {class: p ≥ 0}     for each closed month the unit met its monthly quota
                                            (one figure for every class, or one per class)
    missing_item_deduction p ≤ 0            per item short of a quota (漏报), per closed period
    deductions   {ManualAdjustment kind: p ≤ 0}   per recorded fact × its count; ``late_report``
                                            also applies to urgent items that reached the
                                            department after their limit (迟报)
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

OUTLETS = ("periodical", "bulletin", "briefing", "web_column", "media")
LEVELS = ("county", "city", "province", "central")
QUOTA_CLASSES = ("township", "dept_a", "dept_b", "dept_c", "office", "other")
CLASS_NAMES = {
    "township": "乡镇",
    "dept_a": "县直部门A类",
    "dept_b": "县直部门B类",
    "dept_c": "县直部门C类",
    "office": "部机关科室",
    "other": "其他单位",
}
CLASS_KEYS = ("quotas", "reference_quotas", "monthly_base")
PERIODS = ("month", "quarter", "year")
MULTI_LEVEL = ("highest_only", "cumulative")
JOINT_SPLIT = ("equal", "lead_only")
DEDUCTION_KINDS = ("late_report", "inaccurate", "other")
ITEM_KINDS = ("reference", "photo")
MAX_POINTS = 10000  # a figure of the ledger has at most 7 digits before the decimal point
MAX_COUNT = 100000
QUALITY_KEYS = ("min_chars", "min_rubric", "rubric_required")
TOPIC_KEYS = ("adopted_bonus", "late_or_missed_penalty", "zero_year_after_missed")
TOP_KEYS = (
    "adoption",
    "instruction",
    "multi_level",
    "joint_split",
    "kind_points",
    "quality",
    "caps",
    "topic",
    "quotas",
    "reference_quotas",
    "monthly_base",
    "missing_item_deduction",
    "deductions",
)

_PHOTO = dict.fromkeys(LEVELS, 0.5)

# The demo county's 考核办法 (figures from published ones; see issue 4).
DEMO_RULES: dict[str, Any] = {
    "adoption": {
        "periodical": {"county": 2, "city": 10, "province": 20, "central": 40},
        "bulletin": {"county": 2, "city": 10, "province": 20, "central": 40},
        "briefing": {"county": 1, "city": 5, "province": 10, "central": 20},
        "web_column": {"county": 1, "city": 1, "province": 2, "central": 2},
        "media": {"county": 1, "city": 3, "province": 5, "central": 10},
    },
    "instruction": {"county": 5, "city": 10, "province": 20, "central": 20},
    "kind_points": {
        "reference": {"periodical": {"county": 5}, "bulletin": {"county": 5}},
        "photo": {outlet: dict(_PHOTO) for outlet in OUTLETS},
    },
    "multi_level": "highest_only",
    "joint_split": "equal",
    "quality": {"min_chars": 200, "min_rubric": 60},
    "caps": {"动态": 4},
    "topic": {"adopted_bonus": 5, "late_or_missed_penalty": -10, "zero_year_after_missed": 2},
    "quotas": {
        "township": {"month": 1, "quarter": 3, "year": 12},
        "dept_a": {"month": 1, "quarter": 3, "year": 12},
        "dept_b": {"quarter": 2, "year": 8},
        "dept_c": {"quarter": 1, "year": 4},
        "office": {"quarter": 1, "year": 4},
        "other": {"year": 2},
    },
    "reference_quotas": {"township": {"quarter": 2}, "dept_a": {"year": 2}},
    "monthly_base": {"township": 10, "dept_a": 10},
    "missing_item_deduction": -2,
    "deductions": {"late_report": -2, "inaccurate": -5, "other": -2},
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def normalize_classes(data: object) -> object:
    """``data`` with the Chinese class names of a hand-written file (乡镇, 县直部门A类, A类…)
    replaced by their codes in ``quotas``, ``reference_quotas`` and ``monthly_base``; anything
    else is left for ``validate_rules`` to judge."""
    if not isinstance(data, dict):
        return data
    by_name = {name: code for code, name in CLASS_NAMES.items()}
    by_name.update({name[-2:]: code for code, name in CLASS_NAMES.items() if name.endswith("类")})
    result = dict(data)
    for key in CLASS_KEYS:
        table = result.get(key)
        if isinstance(table, dict):
            result[key] = {
                by_name.get(k, k) if isinstance(k, str) else k: v for k, v in table.items()
            }
    return result


def _class_list() -> str:
    return "、".join(f"{code}({name})" for code, name in CLASS_NAMES.items())


def validate_rules(data: object) -> list[str]:
    """Every problem with ``data`` as a rule set, in Chinese; an empty list means valid."""
    if not isinstance(data, dict):
        return [_("考核办法必须是一个键值表(JSON 对象)。")]
    errors: list[str] = []

    def number(path: str, value: object, *, sign: int = 1) -> None:
        if not _is_number(value):
            errors.append(_("“%(path)s”必须是数字。") % {"path": path})
        elif not math.isfinite(value) or abs(value) > MAX_POINTS:  # type: ignore[arg-type]
            errors.append(
                _("“%(path)s”超出范围:分值的绝对值不能超过 %(max)d。")
                % {"path": path, "max": MAX_POINTS}
            )
        elif sign > 0 and value < 0:  # type: ignore[operator]
            errors.append(_("“%(path)s”不能是负数。") % {"path": path})
        elif sign < 0 and value > 0:  # type: ignore[operator]
            errors.append(_("“%(path)s”是扣分,应为负数或 0。") % {"path": path})

    def whole(path: str, value: object, minimum: int = 0) -> None:
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < minimum
            or value > MAX_COUNT
        ):
            errors.append(
                _("“%(path)s”必须是 %(min)d 到 %(max)d 之间的整数。")
                % {"path": path, "min": minimum, "max": MAX_COUNT}
            )

    def table(path: str, value: object, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            errors.append(_("“%(path)s”必须是键值表。") % {"path": path})
            return {}
        for key in value:
            if key not in keys:
                errors.append(
                    _("“%(path)s”中有未知的项“%(key)s”,可用的项:%(keys)s。")
                    % {"path": path, "key": key, "keys": "、".join(keys)}
                )
        return {k: v for k, v in value.items() if k in keys}

    for key in data:
        if key not in TOP_KEYS:
            errors.append(
                _("未知的规则项“%(key)s”,可用的项:%(keys)s。")
                % {"key": key, "keys": "、".join(TOP_KEYS)}
            )
    if "adoption" in data:
        for outlet, levels in table("adoption", data["adoption"], OUTLETS).items():
            for level, points in table(f"adoption.{outlet}", levels, LEVELS).items():
                number(f"adoption.{outlet}.{level}", points)
    if "instruction" in data:
        for level, points in table("instruction", data["instruction"], LEVELS).items():
            number(f"instruction.{level}", points)
    for key, choices in (("multi_level", MULTI_LEVEL), ("joint_split", JOINT_SPLIT)):
        if key in data and data[key] not in choices:
            errors.append(
                _("“%(path)s”只能是:%(choices)s。") % {"path": key, "choices": "、".join(choices)}
            )
    if "kind_points" in data:
        for kind, outlets in table("kind_points", data["kind_points"], ITEM_KINDS).items():
            for outlet, levels in table(f"kind_points.{kind}", outlets, OUTLETS).items():
                for level, value in table(f"kind_points.{kind}.{outlet}", levels, LEVELS).items():
                    number(f"kind_points.{kind}.{outlet}.{level}", value)
    if "quality" in data:
        quality = table("quality", data["quality"], QUALITY_KEYS)
        if "min_chars" in quality:
            whole("quality.min_chars", quality["min_chars"])
        if "min_rubric" in quality:
            number("quality.min_rubric", quality["min_rubric"])
        if "rubric_required" in quality and not isinstance(quality["rubric_required"], bool):
            path = "quality.rubric_required"
            errors.append(_("“%(path)s”只能是 true 或 false。") % {"path": path})
    if "caps" in data:
        caps = data["caps"]
        if not isinstance(caps, dict):
            errors.append(_("“%(path)s”必须是键值表。") % {"path": "caps"})
        else:
            for category, limit in caps.items():
                whole(f"caps.{category}", limit, minimum=1)
    if "topic" in data:
        topic = table("topic", data["topic"], TOPIC_KEYS)
        if "adopted_bonus" in topic:
            number("topic.adopted_bonus", topic["adopted_bonus"])
        if "late_or_missed_penalty" in topic:
            number("topic.late_or_missed_penalty", topic["late_or_missed_penalty"], sign=-1)
        if "zero_year_after_missed" in topic:
            whole("topic.zero_year_after_missed", topic["zero_year_after_missed"])

    def classes(path: str, value: object) -> dict[str, Any]:
        """A table keyed by assessment class: unknown classes named with the valid ones."""
        if not isinstance(value, dict):
            errors.append(_("“%(path)s”必须是键值表。") % {"path": path})
            return {}
        for key in value:
            if key in QUOTA_CLASSES:
                continue
            if key == "department":
                errors.append(
                    _(
                        "“%(path)s”中的“department”已不再使用:县直部门分为 A、B、C 三类,"
                        "请分别写作 dept_a、dept_b、dept_c(或 县直部门A类 等)。"
                    )
                    % {"path": path}
                )
            else:
                errors.append(
                    _("“%(path)s”中有未知的单位类别“%(key)s”,可用的类别:%(keys)s。")
                    % {"path": path, "key": key, "keys": _class_list()}
                )
        return {k: v for k, v in value.items() if k in QUOTA_CLASSES}

    for key in ("quotas", "reference_quotas"):
        if key in data:
            for unit_class, periods in classes(key, data[key]).items():
                for period, count in table(f"{key}.{unit_class}", periods, PERIODS).items():
                    whole(f"{key}.{unit_class}.{period}", count)
    if "monthly_base" in data:
        base = data["monthly_base"]
        if isinstance(base, dict):
            for unit_class, value in classes("monthly_base", base).items():
                number(f"monthly_base.{unit_class}", value)
        else:
            number("monthly_base", base)
    if "missing_item_deduction" in data:
        number("missing_item_deduction", data["missing_item_deduction"], sign=-1)
    if "deductions" in data:
        for kind, points in table("deductions", data["deductions"], DEDUCTION_KINDS).items():
            number(f"deductions.{kind}", points, sign=-1)
    return errors


def monthly_base(rules: dict[str, Any], unit_class: str) -> Decimal:
    """The base points of a month whose quota a unit of ``unit_class`` met."""
    base = rules.get("monthly_base", 0)
    if isinstance(base, dict):
        return points(base.get(unit_class, 0))
    return points(base)


def points(value: object) -> Decimal:
    """A validated rule figure as an exact decimal (0.5 stays 0.5, never 0.5000000001)."""
    return Decimal(str(value)) if _is_number(value) else Decimal(0)


def signed(value: Decimal) -> str:
    """“+2”, “+0.5”, “-10”: how a ledger line shows its amount."""
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text if value < 0 else f"+{text}"
