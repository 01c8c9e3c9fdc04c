"""The points ledger: computed from recorded facts and the year's rule set, never typed in.

``rebuild(department, year)`` is the only writer of ``ScoreEntry``. It reads, for items submitted
to ``department`` (``Item.department``) and the department's units:

1. adoptions: entries in published issues (this department's and upper departments'
   publications, numbered in ``year``) and upper-level adoptions recorded by hand
   (``ExternalAdoption``, kind publication → ``periodical``, media kinds → ``media``);
2. leaders' instructions;
3. topic outcomes (``TopicTarget.outcome``) of the department's topics due in ``year``;
4. submissions per unit and closed period, against the quotas (base points and 漏报);
5. urgent items that reached the department late (``Timeliness``) and ``ManualAdjustment`` facts.

Adoptions are processed per item in this order: quality bar (too short → every line 0), the
multi-level rule (``highest_only``: the best-paying line counts, ties to the higher level, then the
earlier date, then the fact id; the others are kept at 0 so the ledger shows why), the monthly
caps (per unit, category and month of the item's first counted adoption, items in date order),
then the joint split (equal shares to 0.01, the remainder to the reporting unit, so shares always
sum to the item's points). Lines at 0 are kept: they explain why something did not count.

Finally a unit that missed ``topic.zero_year_after_missed`` topics gets one ``annul`` line that
brings its year to exactly 0. The result depends only on the facts, the rules and ``today``
(which periods are closed), so two rebuilds give the same ledger.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.items.errors import InvalidInput
from xinbao.items.models import Item
from xinbao.orgs.models import Unit
from xinbao.publishing.models import (
    HIGH_LEVELS,
    LEVEL_RANK,
    ExternalAdoption,
    Instruction,
    IssueEntry,
    Level,
    PublicationIssue,
)
from xinbao.scoring.models import FactType, ManualAdjustment, RuleSet, ScoreEntry
from xinbao.scoring.rules import monthly_base, points, signed, validate_rules
from xinbao.topics.models import Timeliness, TopicTarget

CENT = Decimal("0.01")
LEVEL_LABELS = dict(Level.choices)
RANK: dict[str, int] = {str(level): rank for level, rank in LEVEL_RANK.items()}


@dataclass
class Line:
    unit_id: int
    fact_type: str
    fact_id: str
    fact_date: datetime.date
    points: Decimal
    reason: str
    rule: str
    item_id: int | None = None
    level: str = ""
    officer_id: int | None = None
    item_kind: str = ""
    counts_adopted: bool = False
    counts_high: bool = False

    def signature(self) -> tuple[Any, ...]:
        return (
            self.unit_id,
            self.item_id,
            self.fact_type,
            self.fact_id,
            self.fact_date,
            self.level,
            self.points.quantize(CENT),
            self.reason[:300],
            self.rule,
            self.officer_id,
            self.item_kind,
            self.counts_adopted,
            self.counts_high,
        )


def entry_signature(e: ScoreEntry) -> tuple[Any, ...]:
    return (
        e.unit_id,
        e.item_id,
        e.fact_type,
        e.fact_id,
        e.fact_date,
        e.level,
        e.points.quantize(CENT),
        e.reason,
        e.rule,
        e.officer_id,
        e.item_kind,
        e.counts_adopted,
        e.counts_high,
    )


@dataclass
class Adoption:
    """One outlet carrying one item: the raw fact before the rules weigh it."""

    fact_id: str
    item: Item
    outlet: str
    level: str
    on: datetime.date
    label: str
    points: Decimal = Decimal(0)
    rule: str = ""


@dataclass
class RebuildResult:
    entries: int
    changed: int
    totals: dict[int, Decimal] = field(default_factory=dict)


def ruleset_for(department: Unit, year: int) -> RuleSet:
    ruleset = RuleSet.objects.filter(department=department, year=year).first()
    if ruleset is None:
        raise InvalidInput(
            _("%(dept)s 尚无 %(year)d 年的考核办法。") % {"dept": department.name, "year": year}
        )
    return _checked(ruleset)


def _checked(ruleset: RuleSet) -> RuleSet:
    errors = validate_rules(ruleset.rules)
    if errors:
        raise InvalidInput(_("考核办法有误:") + ";".join(errors))
    return ruleset


def rebuild(department: Unit, year: int, *, today: datetime.date | None = None) -> RebuildResult:
    """Recompute ``department``'s ledger for ``year`` in one transaction.

    ``changed`` counts lines that differ from the ledger before: a line whose amount or reason
    changed counts once, as does a line added or removed (0 when no fact changed). Only those
    rows are written."""
    return _recompute(department, year, None, today)


def refresh(
    department: Unit, year: int, units: Iterable[int], *, today: datetime.date | None = None
) -> RebuildResult | None:
    """Bring the entries of ``units`` in ``department``'s ``year`` up to date after a fact
    about them changed, without touching any other unit's rows. The result equals the same
    units' rows of a full ``rebuild`` (``tests/scoring/test_incremental.py``). None when the
    year has no rule set."""
    ruleset = RuleSet.objects.filter(department=department, year=year).first()
    if ruleset is None:
        return None
    return _recompute(department, year, set(units), today, _checked(ruleset))


def _recompute(
    department: Unit,
    year: int,
    scope: set[int] | None,
    today: datetime.date | None,
    ruleset: RuleSet | None = None,
) -> RebuildResult:
    ruleset = ruleset or ruleset_for(department, year)
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        # Read the facts inside the transaction: the ledger matches one state of them.
        lines = compute(department, year, ruleset.rules, today, units=scope)
        existing = ScoreEntry.objects.filter(department=department, year=year)
        if scope is not None:
            existing = existing.filter(unit_id__in=sorted(scope))
        stale: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for entry in existing.order_by("id"):
            stale[entry_signature(entry)].append(entry.pk)
        new: list[Line] = []
        for line in lines:
            same = stale.get(line.signature())
            if same:
                same.pop()
            else:
                new.append(line)
        removed = [pk for pks in stale.values() for pk in pks]
        for start in range(0, len(removed), 500):
            ScoreEntry.objects.filter(pk__in=removed[start : start + 500]).delete()
        ScoreEntry.objects.bulk_create(
            [
                ScoreEntry(
                    department=department,
                    year=year,
                    unit_id=line.unit_id,
                    item_id=line.item_id,
                    fact_type=line.fact_type,
                    fact_id=line.fact_id,
                    fact_date=line.fact_date,
                    level=line.level,
                    item_kind=line.item_kind,
                    officer_id=line.officer_id,
                    counts_adopted=line.counts_adopted,
                    counts_high=line.counts_high,
                    points=line.points.quantize(CENT),
                    reason=line.reason[:300],
                    rule=line.rule,
                    computed_at=now,
                )
                for line in new
            ],
            batch_size=1000,
        )
        retally(department, year, scope)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.unit_id] += line.points
    return RebuildResult(
        entries=len(lines), changed=max(len(removed), len(new)), totals=dict(totals)
    )


def compute(
    department: Unit,
    year: int,
    rules: dict[str, Any],
    today: datetime.date,
    *,
    units: set[int] | None = None,
) -> list[Line]:
    """Every ledger line of ``department``'s ``year`` under ``rules``, in a stable order; with
    ``units``, only those units' lines (computed from every fact they depend on: their items,
    the items they reported jointly, and all other items of those items' reporting units, whose
    monthly caps decide what counts). Reads only, so a draft rule set can be tried out."""
    co_units = _co_units(department)
    closure: set[int] | None = None
    if units is not None:
        joint = [item_id for item_id, partners in co_units.items() if set(partners) & units]
        leads = Item.objects.filter(pk__in=joint).values_list("unit_id", flat=True)
        closure = units | set(leads)
    reviews = _reviews(department, closure)
    lines: list[Line] = []
    adoption_lines = _adoption_lines(department, year, rules, co_units, reviews, closure)
    lines += adoption_lines
    lines += _instruction_lines(department, year, rules, co_units, reviews, closure)
    topic_lines, missed = _topic_lines(department, year, rules, units)
    lines += topic_lines
    quota_rules = rules.get("quotas") or rules.get("reference_quotas")
    classes = _unit_classes(department, units) if quota_rules else []
    lines += _quota_lines(department, year, rules, today, units, classes)
    lines += _reference_quota_lines(department, year, rules, today, adoption_lines, classes)
    lines += _deduction_lines(department, year, rules, units)
    if units is not None:
        lines = [line for line in lines if line.unit_id in units]
    lines += _annul_lines(year, rules, lines, missed)
    lines.sort(key=lambda x: (x.unit_id, x.fact_date, x.fact_type, x.fact_id))
    _mark_counted(lines)
    return lines


def _mark_counted(lines: list[Line]) -> None:
    """Per unit and item, the first positive adoption row counts the item as adopted, and the
    first positive 市级以上 one as a high-level adoption (``lines`` are in date order)."""
    adopted: set[tuple[int, int]] = set()
    high: set[tuple[int, int]] = set()
    for line in lines:
        if line.fact_type != FactType.ADOPTION or line.points <= 0 or line.item_id is None:
            continue
        key = (line.unit_id, line.item_id)
        if key not in adopted:
            adopted.add(key)
            line.counts_adopted = True
        if line.level in HIGH_LEVELS and key not in high:
            high.add(key)
            line.counts_high = True


def retally(department: Unit, year: int, units: set[int] | None = None) -> int:
    """Rewrite ``ScoreTally`` for ``department``'s ``year`` (``units`` only, when given) from
    the ledger rows and the items submitted: two grouped queries. Returns the rows written."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncMonth

    from xinbao.scoring.models import ScoreTally

    entries = ScoreEntry.objects.filter(department=department, year=year)
    items = Item.objects.filter(department=department, submitted_at__year=year)
    tallies = ScoreTally.objects.filter(department=department, year=year)
    if units is not None:
        entries = entries.filter(unit_id__in=sorted(units))
        items = items.filter(unit_id__in=sorted(units))
        tallies = tallies.filter(unit_id__in=sorted(units))
    rows: dict[tuple[int, int | None, datetime.date], ScoreTally] = {}

    def row(unit_id: int, officer_id: int | None, month: datetime.date) -> ScoreTally:
        key = (unit_id, officer_id, month)
        if key not in rows:
            rows[key] = ScoreTally(
                department=department,
                year=year,
                month=month,
                unit_id=unit_id,
                officer_id=officer_id,
            )
        return rows[key]

    sums = (
        entries.annotate(m=TruncMonth("fact_date"))
        .values("unit_id", "officer_id", "m")
        .annotate(
            points_sum=Sum("points"),
            adopted_n=Count("id", filter=Q(counts_adopted=True)),
            high_n=Count("id", filter=Q(counts_high=True)),
            reference_n=Count("id", filter=Q(counts_adopted=True, item_kind="reference")),
            instructions_n=Count("id", filter=Q(fact_type=FactType.INSTRUCTION)),
        )
        .order_by()
    )
    for s in sums:
        tally = row(s["unit_id"], s["officer_id"], s["m"])
        tally.points = s["points_sum"] or Decimal(0)
        tally.adopted, tally.high = s["adopted_n"], s["high_n"]
        tally.reference, tally.instructions = s["reference_n"], s["instructions_n"]
    local = timezone.get_current_timezone()
    submitted = (
        items.annotate(m=TruncMonth("submitted_at", tzinfo=local))
        .values("unit_id", "created_by_id", "m")
        .annotate(n=Count("id"))
        .order_by()
    )
    for s in submitted:
        month = s["m"].date() if isinstance(s["m"], datetime.datetime) else s["m"]
        row(s["unit_id"], s["created_by_id"], month).submitted = s["n"]
    tallies.delete()
    ScoreTally.objects.bulk_create(list(rows.values()), batch_size=2000)
    return len(rows)


def _reviews(department: Unit, units: set[int] | None) -> dict[int, tuple[str, Decimal | None]]:
    from xinbao.scoring.models import ItemReview

    reviews = ItemReview.objects.filter(item__department=department)
    if units is not None:
        reviews = reviews.filter(item__unit_id__in=sorted(units))
    return {
        item_id: (kind, score)
        for item_id, kind, score in reviews.values_list("item_id", "kind", "score")
    }


# --- adoptions -------------------------------------------------------------------------------


def _co_units(department: Unit) -> dict[int, list[int]]:
    through = Item.co_units.through
    pairs = through.objects.filter(item__department=department).values_list("item_id", "unit_id")
    result: dict[int, list[int]] = defaultdict(list)
    for item_id, unit_id in pairs:
        result[item_id].append(unit_id)
    return {k: sorted(v) for k, v in result.items()}


def _adoptions(department: Unit, year: int, units: set[int] | None) -> list[Adoption]:
    codes = [code for code in department.path.strip("/").split("/") if code]
    entries = (
        IssueEntry.objects.filter(
            item__department=department,
            issue__state=PublicationIssue.State.PUBLISHED,
            issue__year=year,
            issue__publication__department__code__in=codes,
        )
        .select_related("issue__publication__department", "item__category")
        .order_by("id")
    )
    if units is not None:
        entries = entries.filter(item__unit_id__in=sorted(units))
    facts: list[Adoption] = []
    for entry in entries:
        issue = entry.issue
        publication = issue.publication
        on = issue.issue_date or timezone.localdate(issue.published_at or issue.created_at)
        facts.append(
            Adoption(
                fact_id=f"entry:{entry.pk}",
                item=entry.item,
                outlet=publication.kind,
                level=publication.department.level,
                on=on,
                label=f"《{publication.name}》{issue.number_label}",
            )
        )
    externals = (
        ExternalAdoption.objects.filter(item__department=department, adopted_on__year=year)
        .select_related("item__category")
        .order_by("id")
    )
    if units is not None:
        externals = externals.filter(item__unit_id__in=sorted(units))
    for ext in externals:
        outlet = "periodical" if ext.kind == ExternalAdoption.Kind.PUBLICATION else "media"
        label = ext.outlet if "《" in ext.outlet else f"《{ext.outlet}》"
        facts.append(
            Adoption(
                fact_id=f"external:{ext.pk}",
                item=ext.item,
                outlet=outlet,
                level=ext.level,
                on=ext.adopted_on,
                label=f"{label}{ext.issue_label}",
            )
        )
    return facts


def _adoption_lines(
    department: Unit,
    year: int,
    rules: dict[str, Any],
    co_units: dict[int, list[int]],
    reviews: dict[int, tuple[str, Decimal | None]],
    units: set[int] | None,
) -> list[Line]:
    table = rules.get("adoption", {})
    kind_tables = rules.get("kind_points", {})
    quality = rules.get("quality", {})
    min_chars = int(quality.get("min_chars", 0))
    min_rubric = points(quality.get("min_rubric", 0))
    rubric_required = bool(quality.get("rubric_required", False))
    highest_only = rules.get("multi_level", "highest_only") == "highest_only"
    caps: dict[str, int] = rules.get("caps", {})
    by_item: dict[int, list[Adoption]] = defaultdict(list)
    for fact in _adoptions(department, year, units):
        kind = reviews.get(fact.item.pk, ("regular", None))[0]
        special = kind_tables.get(kind, {}).get(fact.outlet, {})
        if fact.level in special:
            fact.points = points(special[fact.level])
            fact.rule = f"kind_points.{kind}.{fact.outlet}.{fact.level}"
        else:
            fact.points = points(table.get(fact.outlet, {}).get(fact.level, 0))
            fact.rule = f"adoption.{fact.outlet}.{fact.level}"
        by_item[fact.item.pk].append(fact)

    lines: list[Line] = []
    counted: list[tuple[Item, list[Adoption]]] = []
    for facts in by_item.values():
        facts.sort(key=lambda f: (f.on, f.fact_id))
        item = facts[0].item
        if item.char_count < min_chars:
            reason = _("正文%(n)d字,未达到%(min)d字的质量要求,不计分") % {
                "n": item.char_count,
                "min": min_chars,
            }
            lines += [_zero(item, fact, reason, "quality.min_chars") for fact in facts]
            continue
        score = reviews.get(item.pk, ("regular", None))[1]
        unscored = score is None and rubric_required
        if min_rubric and (unscored or (score is not None and score < min_rubric)):
            if score is None:
                reason = _("尚未评定质量得分,不计分")
            else:
                reason = _("质量得分%(score)s分,未达到%(min)s分的质量要求,不计分") % {
                    "score": f"{score.normalize():f}",
                    "min": f"{min_rubric.normalize():f}",
                }
            lines += [_zero(item, fact, reason, "quality.min_rubric") for fact in facts]
            continue
        if highest_only and len(facts) > 1:
            best = max(facts, key=lambda f: (f.points, RANK.get(f.level, 0), -f.on.toordinal()))
            reason = _("同一信息只计最高一次,已按%(label)s计分") % {"label": best.label}
            lines += [
                _zero(item, fact, reason, "multi_level") for fact in facts if fact is not best
            ]
            facts = [best]
        counted.append((item, facts))

    used: Counter[tuple[int, str, int, int]] = Counter()
    counted.sort(key=lambda pair: (pair[1][0].on, pair[0].pk))
    for item, facts in counted:
        category = item.category.name
        first = facts[0].on
        if category in caps:
            key = (item.unit_id, category, first.year, first.month)
            used[key] += 1
            if used[key] > caps[category]:
                reason = _("超过每月%(n)d条“%(category)s”类信息的上限,不计分") % {
                    "n": caps[category],
                    "category": category,
                }
                lines += [_zero(item, fact, reason, f"caps.{category}") for fact in facts]
                continue
        for fact in facts:
            level = LEVEL_LABELS.get(fact.level, fact.level)
            text = _("%(label)s采用(%(level)s)") % {"label": fact.label, "level": level}
            lines += _split(
                item,
                co_units,
                rules,
                fact.points,
                text,
                fact.fact_id,
                fact.on,
                fact.rule,
                FactType.ADOPTION,
                fact.level,
            )
    _mark_kinds(lines, reviews)
    return lines


def _mark_kinds(lines: list[Line], reviews: dict[int, tuple[str, Decimal | None]]) -> None:
    """The item's kind on each of its lines (co-units' shares too), for shares of 参阅类."""
    for line in lines:
        if line.item_id is not None:
            kind = reviews.get(line.item_id, ("regular", None))[0]
            line.item_kind = "" if kind == "regular" else kind


def _zero(item: Item, fact: Adoption, reason: str, rule: str) -> Line:
    return Line(
        unit_id=item.unit_id,
        item_id=item.pk,
        fact_type=FactType.ADOPTION,
        fact_id=fact.fact_id,
        fact_date=fact.on,
        points=Decimal(0),
        reason=f"{fact.label}{_('采用')} {reason}",
        rule=rule,
        level=fact.level,
        officer_id=item.created_by_id,
    )


def _split(
    item: Item,
    co_units: dict[int, list[int]],
    rules: dict[str, Any],
    amount: Decimal,
    text: str,
    fact_id: str,
    on: datetime.date,
    rule: str,
    fact_type: str,
    level: str,
) -> list[Line]:
    """``amount`` for ``item``: all to its unit, or split equally with its co-units (shares
    rounded down to 0.01, the remainder to the reporting unit: the shares sum to ``amount``)."""
    partners = [u for u in co_units.get(item.pk, []) if u != item.unit_id]
    officer = getattr(item, "created_by_id", None)
    if not partners or rules.get("joint_split", "equal") != "equal":
        return [
            Line(
                item.unit_id,
                fact_type,
                fact_id,
                on,
                amount,
                f"{text}{signed(amount)}",
                rule,
                item.pk,
                level,
                officer,
            )
        ]
    share = (amount / (len(partners) + 1)).quantize(CENT, rounding=ROUND_DOWN)
    lead = amount - share * len(partners)
    n = len(partners) + 1
    note = _("联合报送%(n)d个单位均分") % {"n": n}
    return [
        Line(
            unit_id,
            fact_type,
            fact_id,
            on,
            value,
            f"{text} {note} {signed(value)}",
            f"{rule}+joint_split",
            item.pk,
            level,
            officer if unit_id == item.unit_id else None,
        )
        for unit_id, value in [(item.unit_id, lead), *((u, share) for u in partners)]
    ]


# --- instructions, topics, quotas, deductions -------------------------------------------------


def _instruction_lines(
    department: Unit,
    year: int,
    rules: dict[str, Any],
    co_units: dict[int, list[int]],
    reviews: dict[int, tuple[str, Decimal | None]],
    units: set[int] | None,
) -> list[Line]:
    table = rules.get("instruction", {})
    lines: list[Line] = []
    instructions = (
        Instruction.objects.filter(item__department=department, instructed_on__year=year)
        .select_related("item")
        .order_by("id")
    )
    if units is not None:
        instructions = instructions.filter(item__unit_id__in=sorted(units))
    for ins in instructions:
        amount = points(table.get(ins.level, 0))
        level = LEVEL_LABELS.get(ins.level, ins.level)
        text = _("%(title)s批示(%(level)s)") % {"title": ins.leader_title, "level": level}
        lines += _split(
            ins.item,
            co_units,
            rules,
            amount,
            text,
            f"instruction:{ins.pk}",
            ins.instructed_on,
            f"instruction.{ins.level}",
            FactType.INSTRUCTION,
            ins.level,
        )
    _mark_kinds(lines, reviews)
    return lines


def _topic_lines(
    department: Unit, year: int, rules: dict[str, Any], units: set[int] | None
) -> tuple[list[Line], Counter[int]]:
    topic = rules.get("topic", {})
    bonus = points(topic.get("adopted_bonus", 0))
    penalty = points(topic.get("late_or_missed_penalty", 0))
    lines: list[Line] = []
    missed: Counter[int] = Counter()
    targets = (
        TopicTarget.objects.filter(topic__department=department, topic__deadline__year=year)
        .select_related("topic")
        .order_by("id")
    )
    if units is not None:
        targets = targets.filter(unit_id__in=sorted(units))
    for target in targets:
        on = timezone.localdate(target.topic.deadline)
        title = target.topic.title
        fact_id = f"topic:{target.pk}"
        outcome = target.outcome
        if outcome == TopicTarget.Outcome.MISSED:
            missed[target.unit_id] += 1
        if outcome == TopicTarget.Outcome.ANSWERED_ON_TIME and target.adopted_at and bonus:
            reason = _("约稿《%(title)s》按时回复并被采用") % {"title": title}
            rule, amount = "topic.adopted_bonus", bonus
        elif outcome in (TopicTarget.Outcome.MISSED, TopicTarget.Outcome.ANSWERED_LATE):
            label = (
                _("约稿《%(title)s》未回复")
                if outcome == TopicTarget.Outcome.MISSED
                else _("约稿《%(title)s》逾期回复")
            )
            reason, rule, amount = label % {"title": title}, "topic.late_or_missed_penalty", penalty
        else:
            continue
        lines.append(
            Line(
                target.unit_id,
                FactType.TOPIC,
                fact_id,
                on,
                amount,
                f"{reason}{signed(amount)}",
                rule,
            )
        )
    return lines, missed


def _closed_periods(year: int, today: datetime.date) -> Iterable[tuple[str, str, list[int], str]]:
    """(period kind, fact id, its months, label) for each period of ``year`` ended before
    ``today``: a period still running is neither rewarded nor deducted."""
    for month in range(1, 13):
        end = datetime.date(year + month // 12, month % 12 + 1, 1)
        if end <= today:
            yield (
                "month",
                f"{year}-{month:02d}",
                [month],
                _("%(y)d年%(m)d月")
                % {
                    "y": year,
                    "m": month,
                },
            )
    for quarter in range(1, 5):
        end = datetime.date(year + quarter // 4, (quarter * 3) % 12 + 1, 1)
        if end <= today:
            months = [quarter * 3 - 2, quarter * 3 - 1, quarter * 3]
            label = _("%(y)d年第%(q)d季度") % {"y": year, "q": quarter}
            yield "quarter", f"{year}-Q{quarter}", months, label
    if datetime.date(year + 1, 1, 1) <= today:
        yield "year", f"{year}", list(range(1, 13)), _("%(y)d年全年") % {"y": year}


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)


def _quota_lines(
    department: Unit,
    year: int,
    rules: dict[str, Any],
    today: datetime.date,
    scope: set[int] | None,
    classes: list[tuple[int, str]],
) -> list[Line]:
    quotas: dict[str, dict[str, int]] = rules.get("quotas", {})
    missing = points(rules.get("missing_item_deduction", 0))
    if not quotas:
        return []
    units = [(pk, klass) for pk, klass in classes if klass in quotas]
    per_month: Counter[tuple[int, int]] = Counter()
    items = Item.objects.filter(department=department, submitted_at__year=year)
    if scope is not None:
        items = items.filter(unit_id__in=sorted(scope))
    submitted = items.values_list("unit_id", "submitted_at")
    for unit_id, at in submitted:
        local = timezone.localtime(at)
        if local.year == year:
            per_month[(unit_id, local.month)] += 1
    lines: list[Line] = []
    periods = list(_closed_periods(year, today))
    for unit_id, kind in units:
        quota = quotas[kind]
        base = monthly_base(rules, kind)
        for period, fact_id, months, label in periods:
            wanted = quota.get(period, 0)
            if not wanted:
                continue
            got = sum(per_month[(unit_id, m)] for m in months)
            last = _month_end(year, months[-1])
            if got >= wanted and period == "month" and base:
                reason = _("%(label)s报送%(got)d条,完成月度任务%(want)d条") % {
                    "label": label,
                    "got": got,
                    "want": wanted,
                }
                lines.append(
                    Line(
                        unit_id,
                        FactType.QUOTA,
                        fact_id,
                        last,
                        base,
                        f"{reason}{signed(base)}",
                        "monthly_base",
                    )
                )
            elif got < wanted and missing:
                amount = missing * (wanted - got)
                reason = _("%(label)s报送%(got)d条,少于任务%(want)d条,漏报%(short)d条") % {
                    "label": label,
                    "got": got,
                    "want": wanted,
                    "short": wanted - got,
                }
                lines.append(
                    Line(
                        unit_id,
                        FactType.QUOTA,
                        fact_id,
                        last,
                        amount,
                        f"{reason}{signed(amount)}",
                        f"quotas.{kind}.{period}+missing_item_deduction",
                    )
                )
    return lines


def _unit_classes(department: Unit, scope: set[int] | None) -> list[tuple[int, str]]:
    """(unit id, assessment class) of the department's active units (``scope`` only), in id
    order: the quotas of both kinds are looked up in it."""
    units = Unit.objects.filter(department=department, is_active=True).exclude(
        kind=Unit.Kind.ORG_DEPT
    )
    if scope is not None:
        units = units.filter(pk__in=sorted(scope))
    result = []
    for pk, kind, klass in units.order_by("id").values_list("id", "kind", "assessment_class"):
        result.append((pk, Unit(kind=kind, assessment_class=klass).effective_class))
    return result


def _reference_quota_lines(
    department: Unit,
    year: int,
    rules: dict[str, Any],
    today: datetime.date,
    adoption_lines: list[Line],
    classes: list[tuple[int, str]],
) -> list[Line]:
    """参阅类 quotas: a unit's counted 参阅类 items (a share of a joint one counts for each of its
    units) by the month of their first counted adoption, against ``reference_quotas``; each
    missing one costs ``missing_item_deduction`` per closed period."""
    quotas: dict[str, dict[str, int]] = rules.get("reference_quotas", {})
    missing = points(rules.get("missing_item_deduction", 0))
    if not quotas or not missing:
        return []
    first: dict[tuple[int, int], datetime.date] = {}
    for line in adoption_lines:
        if line.item_kind == "reference" and line.points > 0 and line.item_id is not None:
            key = (line.unit_id, line.item_id)
            first[key] = min(first.get(key, line.fact_date), line.fact_date)
    per_month: Counter[tuple[int, int]] = Counter(
        (unit_id, on.month) for (unit_id, _item), on in first.items() if on.year == year
    )
    lines: list[Line] = []
    periods = list(_closed_periods(year, today))
    for unit_id, kind in [(pk, klass) for pk, klass in classes if klass in quotas]:
        for period, fact_id, months, label in periods:
            wanted = quotas[kind].get(period, 0)
            got = sum(per_month[(unit_id, m)] for m in months)
            if got >= wanted:
                continue
            amount = missing * (wanted - got)
            reason = _("%(label)s参阅类信息采用%(got)d条,少于任务%(want)d条,差%(short)d条") % {
                "label": label,
                "got": got,
                "want": wanted,
                "short": wanted - got,
            }
            lines.append(
                Line(
                    unit_id,
                    FactType.QUOTA,
                    f"reference:{fact_id}",
                    _month_end(year, months[-1]),
                    amount,
                    f"{reason}{signed(amount)}",
                    f"reference_quotas.{kind}.{period}+missing_item_deduction",
                )
            )
    return lines


def _deduction_lines(
    department: Unit, year: int, rules: dict[str, Any], scope: set[int] | None
) -> list[Line]:
    table = rules.get("deductions", {})
    lines: list[Line] = []
    late = points(table.get("late_report", 0))
    if late:
        rows = (
            Timeliness.objects.filter(
                item__department=department,
                submitted_at__year=year,
                submit_due_at__lt=F("submitted_at"),
            )
            .select_related("item")
            .order_by("item_id")
        )
        if scope is not None:
            rows = rows.filter(item__unit_id__in=sorted(scope))
        for row in rows:
            assert row.submitted_at is not None  # noqa: S101 — the filter requires it
            reason = _("紧急信息《%(title)s》超过时限报达(迟报)") % {"title": row.item.title}
            lines.append(
                Line(
                    row.item.unit_id,
                    FactType.DEDUCTION,
                    f"timeliness:{row.pk}",
                    timezone.localdate(row.submitted_at),
                    late,
                    f"{reason}{signed(late)}",
                    "deductions.late_report",
                    row.item_id,
                    officer_id=row.item.created_by_id,
                )
            )
    adjustments = (
        ManualAdjustment.objects.filter(department=department, year=year, revoked_at__isnull=True)
        .select_related("item")
        .order_by("id")
    )
    if scope is not None:
        adjustments = adjustments.filter(unit_id__in=sorted(scope))
    for adj in adjustments:
        amount = points(table.get(adj.kind, 0)) * adj.count
        reason = _("%(kind)s%(count)d次:%(reason)s") % {
            "kind": adj.get_kind_display(),
            "count": adj.count,
            "reason": adj.reason,
        }
        lines.append(
            Line(
                adj.unit_id,
                FactType.DEDUCTION,
                f"adjustment:{adj.pk}",
                adj.occurred_on,
                amount,
                f"{reason} {signed(amount)}",
                f"deductions.{adj.kind}",
                adj.item_id,
                # A fact about one item (e.g. it was 失实) is its writer's too.
                officer_id=adj.item.created_by_id if adj.item is not None else None,
            )
        )
    return lines


def _annul_lines(
    year: int, rules: dict[str, Any], lines: list[Line], missed: Counter[int]
) -> list[Line]:
    threshold = int(rules.get("topic", {}).get("zero_year_after_missed", 0))
    if not threshold:
        return []
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.unit_id] += line.points
    result = []
    for unit_id in sorted(missed):
        if missed[unit_id] >= threshold:
            amount = -totals[unit_id]
            reason = _("本年度未回复约稿%(n)d次,全年计0分") % {"n": missed[unit_id]}
            result.append(
                Line(
                    unit_id,
                    FactType.ANNUL,
                    f"annul:{year}",
                    datetime.date(year, 12, 31),
                    amount,
                    f"{reason}({signed(amount)})",
                    "topic.zero_year_after_missed",
                )
            )
    return result
