"""The numbers of every chart. One function per dashboard computes a list of ``Figure`` from the
cached aggregates (``dashboard.facts``); the chart (JSON data island), the accessible table and
the .xlsx download all render from the same ``Figure``, so they always show the same numbers.

Quality over quantity — the rule that flags a unit (``quality_flags``): comparing the period with
the period of the same length just before it, a unit is flagged when its volume rose (more items
submitted than before, and at least ``FLAG_MIN_ITEMS``) while at least ``FLAG_MIN_WORSE`` of the
quality indicators got worse: adoption rate down, high-level adoptions down, points per item
down, returned-for-revision rate up, and — once their facts exist (``dashboard.hooks``) — 参阅类
share down, rubric score down, near-duplicates up. An indicator that cannot be computed for
either period (no items, no facts yet) does not count either way.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from xinbao.dashboard.facts import (
    DepartmentFacts,
    UnitFacts,
    median_hours,
    p90_hours,
)
from xinbao.dashboard.periods import Period
from xinbao.orgs.models import Unit
from xinbao.scoring import periods as scoring_periods
from xinbao.scoring.ranking import RankRow, unit_ranking

TOP = 20
FLAG_MIN_ITEMS = 3
FLAG_MIN_WORSE = 2

Value = str | int | float | None


@dataclass
class Figure:
    """One chart's numbers: a title, column headings and rows (first column the label).

    ``chart`` tells the static script how to draw it: ``line``, ``bar``, ``barh`` (horizontal
    bars, for unit names), ``funnel``, ``pie``, ``heatmap`` or ``none`` (table only)."""

    key: str
    title: str
    chart: str
    columns: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    note: str = ""
    series: list[int] | None = None  # the columns the chart draws (default: every number)

    @property
    def empty(self) -> bool:
        """No number other than 0 in the columns the chart draws (all columns for a table):
        the page shows an empty state instead."""
        columns = self.series or range(1, len(self.columns))
        return not any(
            isinstance(row[c], int | float) and not isinstance(row[c], bool) and row[c]
            for row in self.rows
            for c in columns
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "chart": self.chart,
            "columns": self.columns,
            "rows": self.rows,
            "series": self.series,
            "empty": self.empty,
        }


def percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def middle(values: Iterable[float | int | None]) -> float | None:
    """The median of the values that exist (None when none does)."""
    present = [v for v in values if v is not None]
    return round(float(statistics.median(present)), 2) if present else None


def month_label(day: Any) -> str:
    return f"{day:%Y-%m}"


def ranking_period(period: Period) -> scoring_periods.Period:
    """The scoring app's period covering exactly the dashboard's (its end is inclusive)."""
    first, last = period.start, period.last_day
    if period.kind == "month":
        return scoring_periods.month_period(first.year, first.month)
    if period.kind == "quarter":
        return scoring_periods.quarter_period(first.year, (first.month - 1) // 3 + 1)
    if period.kind == "year":
        return scoring_periods.year_period(first.year)
    return scoring_periods.Period("range", f"{first}..{last}", first, last, period.label)


def period_ranking(department: Unit, period: Period) -> list[RankRow]:
    """The department's units ranked over the chosen period (``scoring.ranking``: the ledger
    lines dated in it and the items submitted in it), each row with its rank in its class."""
    ranked = unit_ranking(department, ranking_period(period))
    return [row for group in ranked.groups for row in group.rows]


# ----------------------------------------------------------------------------------------------
# Quality indicators and the flag rule
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    value: Callable[[UnitFacts], float | int | None]
    better: int  # +1: higher is better, -1: lower is better


def indicators() -> list[Indicator]:
    return [
        Indicator("adoption_rate", _("采用率(%)"), lambda u: percent(u.adoption_rate), 1),
        Indicator("reference_share", _("参阅类占比(%)"), lambda u: percent(u.reference_share), 1),
        Indicator("high_level", _("市级以上采用(条)"), lambda u: u.high_level, 1),
        Indicator("rubric", _("平均评分"), lambda u: rounded(u.rubric), 1),
        Indicator("points_per_item", _("每条积分"), lambda u: rounded(u.points_per_item), 1),
        Indicator("returned_rate", _("退回修改率(%)"), lambda u: percent(u.returned_rate), -1),
        Indicator("duplicates", _("疑似重复(条)"), lambda u: u.duplicates, -1),
    ]


def pooled(units: Iterable[UnitFacts], unit_id: int = 0) -> UnitFacts:
    """The units' figures added up (the department as one unit)."""
    units = list(units)
    total = UnitFacts(unit_id=unit_id, name="", kind="")
    for u in units:
        total.submitted += u.submitted
        total.adopted += u.adopted
        total.instructions += u.instructions
        total.returned += u.returned
        total.points += u.points
        for level, n in u.levels.items():
            total.levels[level] = total.levels.get(level, 0) + n
        for name in ("reference", "duplicates"):
            value = getattr(u, name)
            if value is not None:
                setattr(total, name, (getattr(total, name) or 0) + value)
    rubrics = [u.rubric for u in units if u.rubric is not None]
    total.rubric = statistics.fmean(rubrics) if rubrics else None
    return total


def worse_indicators(
    now: UnitFacts, before: UnitFacts, checks: list[Indicator] | None = None
) -> list[str]:
    worse = []
    for indicator in checks if checks is not None else indicators():
        a, b = indicator.value(before), indicator.value(now)
        if a is None or b is None or (indicator.key == "high_level" and not before.submitted):
            continue
        if (b - a) * indicator.better < 0:
            worse.append(indicator.label)
    return worse


def quality_flags(facts: DepartmentFacts, kind: str = "") -> list[tuple[UnitFacts, list[str]]]:
    """Units whose volume rose while their quality fell (the rule in the module docstring)."""
    flagged = []
    checks = indicators()
    for unit_id, now in facts.units.items():
        if kind and now.kind != kind:
            continue
        before = facts.previous.get(unit_id)
        if before is None or now.submitted <= before.submitted or now.submitted < FLAG_MIN_ITEMS:
            continue
        worse = worse_indicators(now, before, checks)
        if len(worse) >= FLAG_MIN_WORSE:
            flagged.append((now, worse))
    return flagged


# ----------------------------------------------------------------------------------------------
# The department's dashboard
# ----------------------------------------------------------------------------------------------


def department_figures(department: Unit, facts: DepartmentFacts, kind: str = "") -> list[Figure]:
    """Every chart of the department's dashboard, for units of ``kind`` (all when empty)."""
    units = [u for u in facts.units.values() if not kind or u.kind == kind]
    ids = [u.unit_id for u in units]
    months = facts.months
    labels = [month_label(m) for m in months]

    trend = Figure("trend", _("报送与采用趋势(按月)"), "line", [_("月份"), _("报送"), _("采用")])
    for i, label in enumerate(labels):
        trend.rows.append(
            [
                label,
                sum(facts.submitted_by_month[u][i] for u in ids),
                sum(facts.adopted_by_month[u][i] for u in ids),
            ]
        )
    trend.note = _("采用按县级采用发生的月份统计。")

    total = pooled(units)
    funnel = Figure(
        "funnel",
        _("采用漏斗"),
        "funnel",
        [_("环节"), _("条数")],
        [
            [_("报送"), total.submitted],
            [_("县级采用"), total.adopted],
            [_("市级采用"), total.levels.get("city", 0)],
            [_("省级采用"), total.levels.get("province", 0)],
            [_("中央采用"), total.levels.get("central", 0)],
            [_("领导批示"), total.instructions],
        ],
        _("本期报送的信息中,被各级采用和获领导批示的条数(同一信息在同一级只计一次)。"),
    )

    label = facts.period.label
    rank_rows = [
        r for r in period_ranking(department, facts.period) if not kind or r.unit.kind == kind
    ]
    rank_rows.sort(key=RankRow.sort_key)
    points = Figure(
        "rank_points",
        _("积分排名(%(period)s,前%(n)d名)") % {"period": label, "n": TOP},
        "barh",
        [_("单位"), _("积分"), _("市级以上采用"), _("采用"), _("报送")],
        [
            [r.unit.display_name, float(r.points), r.high_level, r.adopted, r.submitted]
            for r in rank_rows[:TOP]
        ],
        _("积分为本期内计分明细之和;同分按市级以上采用、采用条数、单位代码排序。"),
        series=[1],
    )
    by_high = sorted(
        (r for r in rank_rows if r.high_level or r.instructions),
        key=lambda r: (-r.high_level, -r.instructions),
    )
    high = Figure(
        "rank_high",
        _("市级以上采用排名(%(period)s,前%(n)d名)") % {"period": label, "n": TOP},
        "barh",
        [_("单位"), _("市级以上采用"), _("领导批示")],
        [[r.unit.display_name, r.high_level, r.instructions] for r in by_high[:TOP]],
    )

    heat = Figure(
        "heatmap",
        _("各单位每月报送(热力图)"),
        "heatmap",
        [_("单位"), *labels, _("合计")],
        note=_("未报送的单位排在最前。"),
    )
    ordered = sorted(units, key=lambda u: sum(facts.submitted_by_month[u.unit_id]))
    for u in ordered:
        counts = facts.submitted_by_month[u.unit_id]
        heat.rows.append([u.name, *counts, sum(counts)])
    silent = sum(1 for u in units if not sum(facts.submitted_by_month[u.unit_id]))
    if silent:
        heat.note = _("本期有 %(n)d 个单位未报送,排在最前。") % {"n": silent}

    categories = Figure("categories", _("信息类别构成"), "pie", [_("类别"), _("报送"), _("采用")])
    for pk, name in facts.categories:
        pairs = [facts.by_category.get(u, {}).get(pk, (0, 0)) for u in ids]
        categories.rows.append([name, sum(p[0] for p in pairs), sum(p[1] for p in pairs)])

    timeliness = Figure(
        "timeliness",
        _("报送时效(各单位)"),
        "barh",
        [
            _("单位"),
            _("条数"),
            _("事件至报达中位数(小时)"),
            _("事件至报达P90(小时)"),
            _("报达至首次处理中位数(小时)"),
            _("报达至首次处理P90(小时)"),
        ],
        note=_("P90:九成信息不超过的时长。只有事件日期的信息按当天零时计算。"),
        series=[2, 3, 4, 5],
    )
    for u in units:
        n = max(len(u.to_submit), len(u.to_first_action))
        if n:
            timeliness.rows.append(
                [
                    u.name,
                    n,
                    median_hours(u.to_submit),
                    p90_hours(u.to_submit),
                    median_hours(u.to_first_action),
                    p90_hours(u.to_first_action),
                ]
            )

    editors = Figure(
        "editors",
        _("编辑处理时效(报达至首次处理)"),
        "bar",
        [_("编辑"), _("首次处理条数"), _("中位数(小时)"), _("P90(小时)")],
        [[e.name, len(e.hours), median_hours(e.hours), p90_hours(e.hours)] for e in facts.editors],
        series=[2, 3],
    )

    figures = [trend, funnel, points, high, heat, categories, timeliness, editors]
    figures.append(key_work_figure(facts, kind))
    figures += quality_figures(facts, kind)
    return figures


def key_work_figure(facts: DepartmentFacts, kind: str = "") -> Figure:
    """Per key-work area of the period's year: the units' items of the period tagged with it or
    a sub-area (each item once), how many the county adopted, and whether it is a blind spot
    (an active area with no item in the ``blind_months`` months ending with the period)."""
    units = [u for u in facts.units.values() if not kind or u.kind == kind]
    figure = Figure(
        "key_work",
        _("工作要点覆盖(%(year)d年)") % {"year": facts.period.last_day.year},
        "barh",
        [_("工作要点"), _("报送"), _("采用"), _("盲区")],
        series=[1, 2],
        note=_(
            "统计本期报达、标注了该要点(或其下级要点)的信息;盲区:截至本期末最近%(n)d个月无信息。"
        )
        % {"n": facts.blind_months},
    )
    for area_id, name, depth, active in facts.areas:
        pairs = [u.key_work.get(area_id, [0, 0]) for u in units]
        blind = active and not facts.recent_key_work.get(area_id, 0)
        figure.rows.append(
            [
                "\u3000" * depth + name,
                sum(p[0] for p in pairs),
                sum(p[1] for p in pairs),
                _("盲区") if blind else "",
            ]
        )
    return figure


def quality_figures(facts: DepartmentFacts, kind: str = "") -> list[Figure]:
    now = pooled(u for u in facts.units.values() if not kind or u.kind == kind)
    before = pooled(u for u in facts.previous.values() if not kind or u.kind == kind)
    quality = Figure(
        "quality",
        _("质量指标(本期与上期)"),
        "bar",
        [_("指标"), _("本期"), _("上期")],
        [[i.label, i.value(now), i.value(before)] for i in indicators()],
        _("“—”表示暂无数据:参阅类、评分和疑似重复在相应功能上线后自动统计。"),
    )
    flags = Figure(
        "quality_flags",
        _("数量上升、质量下降的单位"),
        "none",
        [_("单位"), _("上期报送"), _("本期报送"), _("变差的指标")],
        [
            [u.name, facts.previous[u.unit_id].submitted, u.submitted, "、".join(worse)]
            for u, worse in quality_flags(facts, kind)
        ],
        _("报送条数比上期增加(且不少于%(n)d条),同时至少%(k)d项质量指标变差。")
        % {"n": FLAG_MIN_ITEMS, "k": FLAG_MIN_WORSE},
    )
    return [quality, flags]


# ----------------------------------------------------------------------------------------------
# A unit's dashboard: the unit against the county median
# ----------------------------------------------------------------------------------------------


def unit_figures(department: Unit, facts: DepartmentFacts, unit: Unit) -> list[Figure]:
    """The unit's charts, each beside the median over all the department's units."""
    mine = facts.units.get(unit.pk) or UnitFacts(unit_id=unit.pk, name=unit.display_name, kind="")
    everyone = list(facts.units.values())
    ids = list(facts.units)
    zero = [0] * len(facts.months)
    median_of = _("全县单位中位数")

    trend = Figure(
        "u_trend",
        _("报送与采用趋势(按月)"),
        "line",
        [_("月份"), _("本单位报送"), _("报送中位数"), _("本单位采用"), _("采用中位数")],
        note=_("中位数:本部门所有单位的中位数。"),
    )
    for i, m in enumerate(facts.months):
        trend.rows.append(
            [
                month_label(m),
                facts.submitted_by_month.get(unit.pk, zero)[i],
                middle(facts.submitted_by_month[u][i] for u in ids),
                facts.adopted_by_month.get(unit.pk, zero)[i],
                middle(facts.adopted_by_month[u][i] for u in ids),
            ]
        )

    def funnel_values(u: UnitFacts) -> list[int]:
        return [
            u.submitted,
            u.adopted,
            u.levels.get("city", 0),
            u.levels.get("province", 0),
            u.levels.get("central", 0),
            u.instructions,
        ]

    steps = [_("报送"), _("县级采用"), _("市级采用"), _("省级采用"), _("中央采用"), _("领导批示")]
    all_values = [funnel_values(u) for u in everyone]
    funnel = Figure(
        "u_funnel",
        _("采用漏斗"),
        "bar",
        [_("环节"), _("本单位"), median_of],
        [
            [step, funnel_values(mine)[i], middle(v[i] for v in all_values)]
            for i, step in enumerate(steps)
        ],
    )

    quality = Figure(
        "u_quality",
        _("质量指标"),
        "bar",
        [_("指标"), _("本单位"), median_of],
        [[i.label, i.value(mine), middle(i.value(u) for u in everyone)] for i in indicators()],
        _("“—”表示暂无数据。"),
    )

    def speed(u: UnitFacts) -> list[float | None]:
        return [
            median_hours(u.to_submit),
            p90_hours(u.to_submit),
            median_hours(u.to_first_action),
            p90_hours(u.to_first_action),
        ]

    speeds = [speed(u) for u in everyone]
    names = [
        _("事件至报达中位数"),
        _("事件至报达P90"),
        _("报达至首次处理中位数"),
        _("报达至首次处理P90"),
    ]
    timeliness = Figure(
        "u_timeliness",
        _("报送时效(小时)"),
        "bar",
        [_("指标"), _("本单位"), median_of],
        [[n, speed(mine)[i], middle(s[i] for s in speeds)] for i, n in enumerate(names)],
    )

    categories = Figure("u_categories", _("信息类别构成"), "pie", [_("类别"), _("报送"), _("采用")])
    own = facts.by_category.get(unit.pk, {})
    for pk, name in facts.categories:
        submitted, adopted = own.get(pk, (0, 0))
        categories.rows.append([name, submitted, adopted])

    rank_rows = period_ranking(department, facts.period)
    own_rank = next((r for r in rank_rows if r.unit.pk == unit.pk), None)
    # The unit's rank is within its assessment class (scoring.ranking): count that class.
    same_kind = [r for r in rank_rows if own_rank and r.unit_class == own_rank.unit_class]
    rank = Figure(
        "u_rank",
        _("积分与市级以上采用(%(period)s)") % {"period": facts.period.label},
        "bar",
        [_("项目"), _("本单位"), median_of],
        [
            [
                _("积分"),
                float(own_rank.points) if own_rank else 0.0,
                middle(float(r.points) for r in rank_rows),
            ],
            [
                _("市级以上采用"),
                own_rank.high_level if own_rank else 0,
                middle(r.high_level for r in rank_rows),
            ],
        ],
        (
            _("在同类 %(n)d 个单位中排第 %(rank)d 名。")
            % {"n": len(same_kind), "rank": own_rank.rank}
            if own_rank
            else ""
        ),
    )

    flags = {u.unit_id: worse for u, worse in quality_flags(facts)}
    return [
        trend,
        unit_heat_map(facts, unit),
        funnel,
        rank,
        quality,
        timeliness,
        categories,
        unit_key_work(facts, mine),
        unit_warning(facts, unit, mine, flags),
    ]


def unit_heat_map(facts: DepartmentFacts, unit: Unit) -> Figure:
    """The unit's months: its items submitted and adopted each month, each under the median of
    the department's units that month (a silent month stands out); 合计 is the period's total,
    and for a median row the median of the units' totals."""
    ids = list(facts.units)
    zero = [0] * len(facts.months)
    heat = Figure(
        "u_heatmap",
        _("每月报送与采用(热力图)"),
        "heatmap",
        [_("项目"), *(month_label(m) for m in facts.months), _("合计")],
        note=_("中位数:本部门所有单位当月的中位数;中位数行的合计为各单位本期合计的中位数。"),
    )
    for label, median_label, by_month in (
        (_("本单位报送"), _("报送中位数"), facts.submitted_by_month),
        (_("本单位采用"), _("采用中位数"), facts.adopted_by_month),
    ):
        own = by_month.get(unit.pk, zero)
        heat.rows.append([label, *own, sum(own)])
        medians = [middle(by_month[u][i] for u in ids) for i in range(len(facts.months))]
        heat.rows.append([median_label, *medians, middle(sum(by_month[u]) for u in ids)])
    silent = sum(1 for n in facts.submitted_by_month.get(unit.pk, zero) if not n)
    if silent and len(facts.months) > 1:
        heat.note += _("本单位有 %(n)d 个月未报送。") % {"n": silent}
    return heat


def unit_key_work(facts: DepartmentFacts, mine: UnitFacts) -> Figure:
    """The unit's items of the period tagged with each key-work area of the period's year (an
    area counts the items of its sub-areas once), against the median of the department's
    units."""
    everyone = list(facts.units.values())
    figure = Figure(
        "u_key_work",
        _("工作要点覆盖(%(period)s)") % {"period": facts.period.label},
        "barh",
        [_("工作要点"), _("本单位报送"), _("本单位采用"), _("报送中位数")],
        series=[1, 2, 3],
        note=_("统计本期报达、标注了该要点(或其下级要点)的信息;中位数:本部门所有单位的中位数。"),
    )
    for area_id, name, depth, _active in facts.areas:
        reported, adopted = mine.key_work.get(area_id, [0, 0])
        median = middle(u.key_work.get(area_id, [0, 0])[0] for u in everyone)
        figure.rows.append(["\u3000" * depth + name, reported, adopted, median])
    return figure


def unit_warning(
    facts: DepartmentFacts, unit: Unit, mine: UnitFacts, flags: dict[int, list[str]]
) -> Figure:
    return Figure(
        "u_flags",
        _("数量与质量"),
        "none",
        [_("项目"), _("上期"), _("本期"), _("说明")],
        [
            [
                _("报送条数"),
                facts.previous[unit.pk].submitted if unit.pk in facts.previous else 0,
                mine.submitted,
                (_("数量上升、质量下降:") + "、".join(flags[unit.pk])) if unit.pk in flags else "",
            ]
        ],
    )
