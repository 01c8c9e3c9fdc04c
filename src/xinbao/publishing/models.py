"""Publications (刊物), their issues (期), what they carried, and recognition from above.

An issue is numbered when it is published, from counters kept on its publication and advanced
under the publication's row lock (``publishing.services.issue_publish``), so numbers never skip or
repeat. A published issue is frozen; a correction is a new revision of the same number with its
reason recorded. The text an issue carries (``IssueEntry.headline``/``text``) is the editor's copy:
the officer's item is never touched.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Item
from xinbao.orgs.models import Unit


class Level(models.TextChoices):
    """The level of an outlet or a leader. Ordered: a higher level is worth more."""

    COUNTY = "county", _("县级")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    CENTRAL = "central", _("中央")


# 市级以上: the levels that count as high-level adoptions in rankings, dashboards and portfolios.
HIGH_LEVELS: tuple[str, ...] = (Level.CITY, Level.PROVINCE, Level.CENTRAL)


LEVEL_RANK = {Level.COUNTY: 1, Level.CITY: 2, Level.PROVINCE: 3, Level.CENTRAL: 4}


class Publication(models.Model):
    class Kind(models.TextChoices):
        PERIODICAL = "periodical", _("期刊")
        BULLETIN = "bulletin", _("通报")
        BRIEFING = "briefing", _("简报")
        WEB_COLUMN = "web_column", _("网站专栏")

    department = models.ForeignKey(
        Unit,
        verbose_name=_("主办组织部门"),
        on_delete=models.PROTECT,
        related_name="publications",
        limit_choices_to={"kind": Unit.Kind.ORG_DEPT},
    )
    name = models.CharField(_("刊名"), max_length=60)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(_("启用"), default=True)
    distribution = models.TextField(
        _("发送范围"),
        blank=True,
        help_text=_("印在每期末尾,如“报送:市委组织部。抄送:县委常委。”,每行一项。"),
    )
    # Numbering counters, advanced only by issue_publish under this row's lock. An editor may set
    # them once when a running publication is brought into xinbao (e.g. 总第 344 期 so far).
    last_year = models.PositiveIntegerField(_("最近出刊年份"), null=True, blank=True)
    last_number = models.PositiveIntegerField(_("当年已出期数"), default=0)
    last_total_number = models.PositiveIntegerField(_("累计已出期数"), default=0)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("刊物")
        verbose_name_plural = _("刊物")
        ordering = ["department", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="publication_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return self.department.level

    @property
    def is_web_column(self) -> bool:
        return self.kind == self.Kind.WEB_COLUMN


class PublicationIssue(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("编辑中")
        PUBLISHED = "published", _("已发布")
        SUPERSEDED = "superseded", _("已更正")

    publication = models.ForeignKey(
        Publication, verbose_name=_("刊物"), on_delete=models.PROTECT, related_name="issues"
    )
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT)
    year = models.PositiveIntegerField(_("年份"), null=True, blank=True)
    number = models.PositiveIntegerField(_("期号"), null=True, blank=True)
    total_number = models.PositiveIntegerField(_("总期号"), null=True, blank=True)
    revision = models.PositiveSmallIntegerField(_("更正次数"), default=0)
    revision_of = models.ForeignKey(
        "self",
        verbose_name=_("更正的原期"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    revision_reason = models.TextField(_("更正原因"), blank=True)
    title = models.CharField(
        _("本期标题"), max_length=100, blank=True, help_text=_("可选,如“换届工作专刊”。")
    )
    issue_date = models.DateField(_("出刊日期"), null=True, blank=True)
    compiler = models.CharField(_("编辑"), max_length=50, blank=True)
    signer = models.CharField(_("签发"), max_length=50, blank=True)
    distribution = models.TextField(_("发送范围"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("期")
        verbose_name_plural = _("期")
        ordering = ["publication", "-year", "-number", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "year", "number", "revision"],
                condition=Q(number__isnull=False),
                name="issue_number_unique",
            ),
            models.UniqueConstraint(
                fields=["publication", "total_number", "revision"],
                condition=Q(total_number__isnull=False),
                name="issue_total_number_unique",
            ),
        ]
        indexes = [models.Index(fields=["publication", "state", "-published_at"])]

    def __str__(self) -> str:
        return f"{self.publication.name} {self.number_label}"

    @property
    def number_label(self) -> str:
        if self.number is None:
            return str(_("(未编号)"))
        label = str(_("%(year)d年第%(number)d期")) % {"year": self.year, "number": self.number}
        return label

    @property
    def total_label(self) -> str:
        if self.total_number is None:
            return ""
        return str(_("总第%(total)d期")) % {"total": self.total_number}

    @property
    def is_frozen(self) -> bool:
        return self.state != self.State.DRAFT


class IssueEntry(models.Model):
    """One item as carried by one issue, with the editor's published text."""

    issue = models.ForeignKey(PublicationIssue, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(
        Item, verbose_name=_("信息"), on_delete=models.PROTECT, related_name="issue_entries"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    headline = models.CharField(_("刊发标题"), max_length=200)
    text = models.TextField(_("刊发正文"))
    editor_note = models.TextField(_("编者按"), blank=True)
    source_line = models.CharField(_("供稿单位"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("刊发信息")
        verbose_name_plural = _("刊发信息")
        ordering = ["issue", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "item"], name="entry_item_unique_in_issue")
        ]
        indexes = [models.Index(fields=["item", "issue"])]

    def __str__(self) -> str:
        return self.headline


class Forwarding(models.Model):
    """An item sent up (转报) from one organization department to its parent."""

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        ADOPTED = "adopted", _("已采用")
        DECLINED = "declined", _("未采用")

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="forwardings")
    from_department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    to_department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="forwarded_in")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    note = models.TextField(_("转报说明"), blank=True)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    forwarded_at = models.DateTimeField(_("转报时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    comment = models.TextField(_("处理意见"), blank=True)

    class Meta:
        verbose_name = _("转报")
        verbose_name_plural = _("转报")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "to_department"], name="forwarding_once_per_department"
            )
        ]
        indexes = [models.Index(fields=["to_department", "state", "forwarded_at"])]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.to_department_id}"


class ExternalAdoption(models.Model):
    """An adoption by an outlet outside this installation, recorded by hand."""

    class Kind(models.TextChoices):
        PUBLICATION = "publication", _("组织部门刊物")
        NEWSPAPER = "newspaper", _("报刊")
        BROADCAST = "broadcast", _("电台电视台")
        WEBSITE = "website", _("网站")

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="external_adoptions")
    kind = models.CharField(
        _("类型"), max_length=16, choices=Kind.choices, default=Kind.PUBLICATION
    )
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    outlet = models.CharField(_("刊物或媒体"), max_length=100)
    issue_label = models.CharField(_("期次或版面"), max_length=100, blank=True)
    adopted_on = models.DateField(_("采用日期"))
    scan = models.FileField(_("扫描件"), upload_to="adoption_scans/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("上级采用")
        verbose_name_plural = _("上级采用")
        ordering = ["item", "adopted_on", "id"]
        indexes = [
            models.Index(fields=["item", "adopted_on"]),
            models.Index(fields=["level", "adopted_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.outlet} {self.issue_label}"


class Instruction(models.Model):
    """A leader's written instruction (领导批示) on an item."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="instructions")
    level = models.CharField(_("领导级别"), max_length=10, choices=Level.choices)
    leader_title = models.CharField(_("领导职务"), max_length=60)
    leader_name = models.CharField(_("领导姓名"), max_length=30, blank=True)
    instructed_on = models.DateField(_("批示日期"))
    text = models.TextField(_("批示内容"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # 批示反馈: by when the unit must report what it did about the instruction, and its report.
    feedback_due_on = models.DateField(_("反馈期限"), null=True, blank=True)
    feedback_text = models.TextField(_("反馈内容"), blank=True)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("反馈人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["item", "instructed_on", "id"]
        indexes = [
            models.Index(fields=["item", "instructed_on"]),
            models.Index(fields=["level", "instructed_on"]),
            models.Index(fields=["feedback_due_on"], name="instruction_feedback_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.leader_title} {self.instructed_on}"
