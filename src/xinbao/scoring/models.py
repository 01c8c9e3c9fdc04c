"""Assessment rule sets (考核办法), the facts an editor records for them, and the points ledger.

The ledger (``ScoreEntry``) is derived: ``scoring.ledger.rebuild`` recomputes one department's
year, ``scoring.ledger.refresh`` some of its units, from recorded facts (publications, upper-level
adoptions, instructions, topic outcomes, submissions, timeliness, ``ItemReview`` and
``ManualAdjustment`` rows) and the year's ``RuleSet``. Nothing else writes it, and no row of it
is ever typed in by hand.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Item
from xinbao.orgs.models import Unit


class RuleSet(models.Model):
    """One department's 考核办法 for one year; ``rules`` is checked by ``rules.validate_rules``."""

    department = models.ForeignKey(
        Unit,
        verbose_name=_("组织部门"),
        on_delete=models.PROTECT,
        related_name="rule_sets",
        limit_choices_to={"kind": Unit.Kind.ORG_DEPT},
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=100)
    rules = models.JSONField(_("计分规则"), default=dict)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("考核办法")
        verbose_name_plural = _("考核办法")
        ordering = ["department", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="ruleset_once_per_year")
        ]

    def __str__(self) -> str:
        return self.name


class ManualAdjustment(models.Model):
    """A deduction fact an editor records with a reason (e.g. a 失实 item). The points come from
    the rule set's ``deductions`` table times ``count``; the editor never types a score."""

    class Kind(models.TextChoices):
        LATE_REPORT = "late_report", _("迟报")
        INACCURATE = "inaccurate", _("信息失实")
        OTHER = "other", _("其他违反报送规定")

    department = models.ForeignKey(
        Unit, verbose_name=_("组织部门"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="score_adjustments"
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("相关信息"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    count = models.PositiveSmallIntegerField(_("次数"), default=1)
    occurred_on = models.DateField(_("发生日期"))
    reason = models.TextField(_("事由"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.TextField(_("撤销原因"), blank=True)

    class Meta:
        verbose_name = _("扣分登记")
        verbose_name_plural = _("扣分登记")
        ordering = ["department", "year", "occurred_on", "id"]
        indexes = [models.Index(fields=["department", "year"], name="adjustment_dept_year_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} ×{self.count}"


class ItemReview(models.Model):
    """An editor's assessment judgment of one item, a fact the ledger reads: its kind (常规,
    参阅类 worth more in most 考核办法, 图片) and its rubric scores (情况清楚、表述准确、时效、新意,
    each 0–25; ``score`` is their sum). An item below the rule set's ``quality.min_rubric`` does
    not count."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("常规")
        REFERENCE = "reference", _("参阅类")
        PHOTO = "photo", _("图片")

    CRITERIA = (
        ("clear", _("情况清楚")),
        ("accurate", _("表述准确")),
        ("timely", _("时效")),
        ("novel", _("新意")),
    )
    CRITERION_MAX = 25

    item = models.OneToOneField(
        Item, verbose_name=_("信息"), on_delete=models.CASCADE, related_name="score_review"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    rubric = models.JSONField(_("评分"), default=dict, blank=True)
    score = models.DecimalField(
        _("质量得分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("评定时间"), auto_now=True)

    class Meta:
        verbose_name = _("信息评定")
        verbose_name_plural = _("信息评定")

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind} {self.score}"


class FactType(models.TextChoices):
    ADOPTION = "adoption", _("采用")
    INSTRUCTION = "instruction", _("领导批示")
    TOPIC = "topic", _("约稿")
    QUOTA = "quota", _("目标任务")
    DEDUCTION = "deduction", _("扣分")
    ANNUL = "annul", _("全年清零")


class ScoreEntry(models.Model):
    """One line of the points ledger: which fact, which rule, how many points, and why."""

    department = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="score_entries"
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("信息"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    fact_type = models.CharField(_("事实类型"), max_length=12, choices=FactType.choices)
    fact_id = models.CharField(_("事实"), max_length=40)
    fact_date = models.DateField(_("日期"))
    level = models.CharField(_("级别"), max_length=10, blank=True)
    item_kind = models.CharField(_("信息类别"), max_length=10, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("信息员"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    points = models.DecimalField(_("分值"), max_digits=9, decimal_places=2)
    # The row an adopted item counts on for its unit (its first counted adoption), and the one
    # it counts on as a 市级以上 adoption: rankings add these up instead of counting distinct.
    counts_adopted = models.BooleanField(_("计为采用"), default=False)
    counts_high = models.BooleanField(_("计为市级以上采用"), default=False)
    reason = models.CharField(_("计分说明"), max_length=300)
    rule = models.CharField(_("规则"), max_length=80)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("计分明细")
        verbose_name_plural = _("计分明细")
        ordering = ["department", "year", "unit", "fact_date", "id"]
        indexes = [
            models.Index(fields=["department", "year", "unit"], name="score_dept_year_unit_idx"),
            models.Index(fields=["unit", "year", "fact_date"], name="score_unit_year_date_idx"),
            # The rows of a date range's partial months, grouped by unit or officer: every
            # column the ranking reads is in the index, so the rows are read from it alone
            # (an index-only scan on PostgreSQL, a covering index on SQLite).
            models.Index(
                fields=[
                    "department",
                    "fact_date",
                    "unit",
                    "officer",
                    "points",
                    "counts_adopted",
                    "counts_high",
                    "item_kind",
                    "fact_type",
                ],
                name="score_dept_date_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reason


class ScoreTally(models.Model):
    """The ledger summed per unit, officer (null for a unit's own rows) and month, with the
    items submitted: what rankings read (a few rows per unit a month however long the ledger).
    Rewritten by ``ledger`` with the rows it sums, never edited."""

    department = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.DateField(_("月份"))  # the first day of the month of the rows' dates
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    points = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    adopted = models.PositiveIntegerField(default=0)
    high = models.PositiveIntegerField(default=0)
    reference = models.PositiveIntegerField(default=0)
    instructions = models.PositiveIntegerField(default=0)
    submitted = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("计分汇总")
        verbose_name_plural = _("计分汇总")
        indexes = [
            models.Index(fields=["department", "month"], name="tally_dept_month_idx"),
            models.Index(fields=["department", "year", "unit"], name="tally_dept_year_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.points}"


class PendingRefresh(models.Model):
    """Work the background refresh of a department still owes (``scoring.pending``): a request
    that changed facts notes here, after its commit, which units of which department (and ledger
    year) to recompute, and queues one task for the department; the task drains the rows. One
    row per (department, kind, year, unit): a second write before the task runs only renews the
    row's ``mark``, so the work collapses. ``kind`` ``queued`` is the marker that a task for the
    department is waiting (``year`` and ``unit_id`` 0)."""

    class Kind(models.TextChoices):
        LEDGER = "ledger", _("计分台账")  # year: the ledger year; unit_id 0: the whole year
        DASHBOARD = "dashboard", _("统计看板")  # year 0; unit_id 0: only the cached figures
        QUEUED = "queued", _("已排队")

    department = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(default=0)
    unit_id = models.PositiveIntegerField(default=0)  # not a key: a deleted unit's rows go too
    mark = models.UUIDField(default=uuid.uuid4)  # renewed by each write: the task keeps the row
    noted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("待更新统计")
        verbose_name_plural = _("待更新统计")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "kind", "year", "unit_id"], name="pending_refresh_once"
            )
        ]
        indexes = [models.Index(fields=["noted_at"], name="pending_refresh_noted_idx")]

    def __str__(self) -> str:
        return f"{self.department_id} {self.kind} {self.year} {self.unit_id}"
