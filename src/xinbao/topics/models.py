"""Topics (约稿), yearly key-work areas (工作要点), item timeliness and sent reminders.

Facts the assessment reads are stored here and derived from recorded workflow events:

- ``TopicTarget.outcome`` / ``answered_at`` / ``adopted_at``: per topic and target unit, when the
  unit first sent an answering item upward and whether that was by the deadline;
- ``Timeliness``: per item, event → submission → first editor action → adoption.

Both are recomputed from ``items.ItemEvent`` rows by ``topics.services`` /
``topics.timeliness`` (see ``topics.signals``), so they can be rebuilt at any time.
"""

from __future__ import annotations

import datetime
import enum
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinbao.orgs.models import Unit

if TYPE_CHECKING:
    from xinbao.items.models import Item


class KeyWorkArea(models.Model):
    """One node of a department's key-work tree for one year (e.g. 五大目标 / 基层组织建设)."""

    department = models.ForeignKey(
        Unit,
        verbose_name=_("组织部门"),
        on_delete=models.PROTECT,
        related_name="key_work_areas",
        limit_choices_to={"kind": Unit.Kind.ORG_DEPT},
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级要点"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    items: models.ManyToManyField[Item, KeyWorkTag] = models.ManyToManyField(
        "items.Item",
        through="KeyWorkTag",
        related_name="key_work_areas",
        blank=True,
        verbose_name=_("信息"),
    )

    class Meta:
        verbose_name = _("工作要点")
        verbose_name_plural = _("工作要点")
        ordering = ["department", "year", "sort_order", "id"]
        indexes = [models.Index(fields=["department", "year"], name="keywork_dept_year_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        parent = self.parent
        if parent is None:
            return
        if parent.department_id != self.department_id or parent.year != self.year:
            raise ValidationError({"parent": _("上级要点必须属于同一部门、同一年度。")})
        ancestor: KeyWorkArea | None = parent
        while ancestor is not None:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("上级要点不能是本要点或其下级。")})
            ancestor = ancestor.parent


class KeyWorkTag(models.Model):
    """An item tagged with a key-work area (the officer picks, the editor corrects)."""

    area = models.ForeignKey(KeyWorkArea, on_delete=models.CASCADE, related_name="tags")
    item = models.ForeignKey("items.Item", on_delete=models.CASCADE, related_name="key_work_tags")
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("标注人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    tagged_at = models.DateTimeField(_("标注时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("要点标注")
        verbose_name_plural = _("要点标注")
        constraints = [
            models.UniqueConstraint(fields=["area", "item"], name="keywork_tag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.area_id}"


class Topic(models.Model):
    """A 约稿通知: what the department wants, from which units, by when."""

    class State(models.TextChoices):
        OPEN = "open", _("征集中")
        CLOSED = "closed", _("已结束")

    class Targeting(models.TextChoices):
        TOWNSHIPS = "townships", _("全部乡镇")
        KIND = "kind", _("某类单位")
        LIST = "list", _("指定单位")

    department = models.ForeignKey(
        Unit, verbose_name=_("组织部门"), on_delete=models.PROTECT, related_name="topics"
    )
    title = models.CharField(_("题目"), max_length=200)
    wanted = models.TextField(_("约稿内容"))
    requirements = models.TextField(_("写作要求"), blank=True)
    deadline = models.DateTimeField(_("截止时间"))
    key_work_area = models.ForeignKey(
        KeyWorkArea,
        verbose_name=_("工作要点"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="topics",
    )
    targeting = models.CharField(_("约稿对象"), max_length=16, choices=Targeting.choices)
    target_kind = models.CharField(
        _("单位类型"), max_length=16, choices=Unit.Kind.choices, blank=True
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发出时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("约稿")
        verbose_name_plural = _("约稿")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "-created_at"], name="topic_dept_recent_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class BoardState(enum.Enum):
    """A target unit's state on the topic board, most advanced first."""

    ADOPTED = "adopted"
    ANSWERED = "answered"
    DECLINED = "declined"
    OVERDUE = "overdue"
    READ = "read"
    UNREAD = "unread"

    @property
    def label(self) -> str:
        return str(BOARD_LABELS[self])


BOARD_LABELS = {
    BoardState.ADOPTED: _("已采用"),
    BoardState.ANSWERED: _("已回复"),
    BoardState.DECLINED: _("已说明不报"),
    BoardState.OVERDUE: _("已逾期"),
    BoardState.READ: _("已读"),
    BoardState.UNREAD: _("未读"),
}


class TopicTarget(models.Model):
    """One unit a topic was sent to, with what the unit did about it.

    ``outcome`` is the fact scoring reads: ``answered_on_time`` when the unit's first answering
    item left the unit (was submitted) by the deadline, ``answered_late`` after it, ``missed``
    once the deadline passed without one. A decline is recorded beside it (``declined_at``,
    ``decline_reason``) and does not change the outcome: whether a reasoned decline is excused is
    the assessment rule set's decision, not this table's.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待回复")
        ANSWERED_ON_TIME = "answered_on_time", _("按时回复")
        ANSWERED_LATE = "answered_late", _("逾期回复")
        MISSED = "missed", _("未回复")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="topic_targets"
    )
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("阅读人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    declined_at = models.DateTimeField(_("说明不报时间"), null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("说明人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decline_reason = models.TextField(_("不报原因"), blank=True)
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    adopted_at = models.DateTimeField(_("采用时间"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )

    class Meta:
        verbose_name = _("约稿对象")
        verbose_name_plural = _("约稿对象")
        ordering = ["topic", "unit__sort_order", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "unit"], name="topic_target_unique"),
        ]
        indexes = [models.Index(fields=["unit", "outcome"], name="topic_target_unit_idx")]

    def __str__(self) -> str:
        return f"{self.topic_id} → {self.unit_id}"

    def board_state(self, deadline: datetime.datetime, now: datetime.datetime) -> BoardState:
        if self.adopted_at is not None:
            return BoardState.ADOPTED
        if self.answered_at is not None:
            return BoardState.ANSWERED
        if self.declined_at is not None:
            return BoardState.DECLINED
        if now > deadline:
            return BoardState.OVERDUE
        if self.read_at is not None:
            return BoardState.READ
        return BoardState.UNREAD


class Timeliness(models.Model):
    """How fast one item moved: event → reaching the department → first editor action →
    adoption. Rebuilt from the item and its events (``topics.timeliness.timeliness_refresh``).

    ``event_at`` is the item's event time, or the start of its event date when only the date is
    known (``event_precise`` false: the event → submission duration is then an upper bound).
    ``submit_due_at`` / ``act_due_at`` are set for urgent items only (``XINBAO_URGENCY_LIMITS``).
    """

    item = models.OneToOneField(
        "items.Item", on_delete=models.CASCADE, primary_key=True, related_name="timeliness"
    )
    urgency = models.PositiveSmallIntegerField(_("紧急程度"), default=0)
    event_at = models.DateTimeField(_("事件时间"), null=True, blank=True)
    event_precise = models.BooleanField(_("事件时间精确"), default=False)
    submitted_at = models.DateTimeField(_("报达时间"), null=True, blank=True)
    first_action = models.CharField(_("首次处理"), max_length=20, blank=True)
    first_action_at = models.DateTimeField(_("首次处理时间"), null=True, blank=True)
    adopted_at = models.DateTimeField(_("采用时间"), null=True, blank=True)
    to_submit = models.DurationField(_("事件至报达"), null=True, blank=True)
    to_first_action = models.DurationField(_("报达至首次处理"), null=True, blank=True)
    to_adoption = models.DurationField(_("报达至采用"), null=True, blank=True)
    report_lag_days = models.IntegerField(_("迟报天数"), null=True, blank=True)
    late_report = models.BooleanField(_("迟报"), default=False)
    submit_due_at = models.DateTimeField(_("应报达时间"), null=True, blank=True)
    act_due_at = models.DateTimeField(_("应处理时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("提醒部领导时间"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("报送时效")
        verbose_name_plural = _("报送时效")
        indexes = [
            models.Index(fields=["act_due_at"], name="timeliness_act_due_idx"),
            models.Index(fields=["submitted_at"], name="timeliness_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}"

    @property
    def submitted_late(self) -> bool:
        """Reached the department after the urgent limit (only urgent items have one)."""
        return bool(
            self.submit_due_at and self.submitted_at and self.submitted_at > self.submit_due_at
        )

    @property
    def acted_late(self) -> bool:
        return bool(
            self.act_due_at and self.first_action_at and self.first_action_at > self.act_due_at
        )


class SentReminder(models.Model):
    """One reminder sent: the key makes every periodic job idempotent (sent once per key)."""

    kind = models.CharField(_("类型"), max_length=40)
    object_key = models.CharField(_("对象"), max_length=60)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField(_("提醒时点"))
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已发提醒")
        verbose_name_plural = _("已发提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key", "recipient", "due_at"], name="sent_reminder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_key} → {self.recipient_id}"
