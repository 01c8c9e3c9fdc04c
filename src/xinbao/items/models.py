"""Information items (信息), their revisions, workflow events and attachments.

``Item.state`` changes only through ``items.services.transition`` (the table is in
``items/workflow.py``). ``Item.department`` is the organization department the item goes to; it is
copied from the unit when the item is created, so the editor's inbox is one indexed query.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinbao.orgs.models import Unit


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=30, unique=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("信息类别")
        verbose_name_plural = _("信息类别")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING_SIGNOFF = "pending_signoff", _("待签发")
    SUBMITTED = "submitted", _("已报送")
    IN_REVIEW = "in_review", _("审核中")
    RETURNED = "returned", _("退回修改")
    RESUBMITTED = "resubmitted", _("修改后重报")
    ADOPTED = "adopted", _("已采用")
    DECLINED = "declined", _("未采用")
    ARCHIVED = "archived", _("已归档")


class Urgency(models.IntegerChoices):
    NORMAL = 0, _("一般")
    URGENT = 1, _("紧急")
    VERY_URGENT = 2, _("特急")


class Item(models.Model):
    # No index of their own: ``item_unit_newest_idx`` and ``item_dept_newest_idx`` lead with them.
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("报送单位"),
        on_delete=models.PROTECT,
        related_name="items",
        db_index=False,
    )
    department = models.ForeignKey(
        Unit,
        verbose_name=_("报送至"),
        on_delete=models.PROTECT,
        related_name="received_items",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="created_items",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="items"
    )
    urgency = models.PositiveSmallIntegerField(
        _("紧急程度"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    event_date = models.DateField(_("事件日期"), null=True, blank=True)
    # The moment of the event, when known (urgent items); event_date is then its local date.
    event_time = models.DateTimeField(_("事件发生时间"), null=True, blank=True)
    topic = models.ForeignKey(
        "topics.Topic",
        verbose_name=_("回复的约稿"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
    )
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    is_internal = models.BooleanField(
        _("内部信息,不宜公开"),
        default=False,
        help_text=_("勾选后,这条信息永远不会出现在网站专栏等公开页面。"),
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者"),
        related_name="authored_items",
        blank=True,
    )
    co_units = models.ManyToManyField(
        Unit, verbose_name=_("联合报送单位"), related_name="co_reported_items", blank=True
    )
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.DRAFT)
    # How many 保密 self-check findings the current text (title, body, attachments) has; kept by
    # items.services on every change, so the public web column can filter on it in SQL. NULL:
    # not checked yet (items older than migration items/0006 until `xinbao backfill` checks
    # them); such an item counts as unchecked and never reaches the public web column.
    secrecy_findings = models.PositiveIntegerField(_("保密提示数"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("信息")
        verbose_name_plural = _("信息")
        indexes = [
            # The editor's inbox: one department, open states, most urgent first. It holds
            # every column the inbox's rows read (items.queries.inbox: id, urgency,
            # submitted_at), so PostgreSQL counts and sorts them from the index alone.
            models.Index(
                fields=["department", "state", "-urgency", "submitted_at", "id"],
                name="item_inbox_cover_idx",
            ),
            # One unit's or one department's items newest first by id (the API's list, cursor
            # pages by id: ``items.permissions.newest_visible_ids``).
            models.Index(fields=["unit", "-id"], name="item_unit_newest_idx"),
            models.Index(fields=["department", "-id"], name="item_dept_newest_idx"),
            # An officer's list: one unit, newest first.
            models.Index(fields=["unit", "-updated_at"], name="item_unit_recent_idx"),
            models.Index(fields=["unit", "state", "-updated_at"], name="item_unit_state_idx"),
            models.Index(fields=["department", "-submitted_at"], name="item_dept_recent_idx"),
            # Items submitted in a span of days per unit or officer (rankings over a date
            # range): read from the index alone.
            models.Index(
                fields=["department", "submitted_at", "unit", "created_by"],
                name="item_dept_submit_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def paragraphs(self) -> list[str]:
        return split_paragraphs(self.body)

    @property
    def is_urgent(self) -> bool:
        return self.urgency > Urgency.NORMAL

    @property
    def char_count(self) -> int:
        return sum(len(p) for p in self.paragraphs)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are the non-blank lines of the body, stripped (plain text, no markup)."""
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def normalize_body(text: str) -> str:
    """The stored form of a body: one paragraph per line, no blank lines, no stray spaces."""
    return "\n".join(split_paragraphs(text))


class Revision(models.Model):
    class Kind(models.TextChoices):
        OFFICER = "officer", _("报送稿")
        EDITOR = "editor", _("编辑修改稿")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("稿次"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("修改稿")
        verbose_name_plural = _("修改稿")
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.number}"


class ItemEvent(models.Model):
    """One performed workflow move: who, when, from which state to which, with what comment."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=20, choices=State.choices)
    to_state = models.CharField(_("新状态"), max_length=20, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["item", "created_at", "id"]
        indexes = [models.Index(fields=["item", "created_at"])]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random server-side name under ``MEDIA_ROOT/attachments/``; the client's name is kept only
    as ``original_name`` (nothing of it reaches the file system)."""
    name = uuid.uuid4().hex
    return f"attachments/{name[:2]}/{name}"


class Attachment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    # SM3 digest (GB/T 32905) taken at upload, checked at every download and by `xinbao scrub`.
    sm3 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["item", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class SecrecyTermList(models.Model):
    """An organization department's internal terms (内部用语) for the 保密 self-check, one a
    line. A department without a row uses ``items.secrecy.DEFAULT_TERMS``."""

    department = models.OneToOneField(
        Unit, verbose_name=_("组织部门"), on_delete=models.CASCADE, related_name="secrecy_terms"
    )
    terms = models.TextField(_("内部用语"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("保密自查用语")
        verbose_name_plural = _("保密自查用语")

    def __str__(self) -> str:
        return str(self.department)


class SecrecyReview(models.Model):
    """An officer's 保密审查 confirmation: they read the findings and vouch, by typing their name,
    that the item holds nothing that may not travel here. It covers the findings listed in
    ``keys``; a text with a finding outside them needs a new confirmation."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="secrecy_reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审查人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    typed_name = models.CharField(_("确认签名"), max_length=150)
    keys = models.JSONField(_("已确认的提示"), default=list)
    findings = models.JSONField(_("提示内容"), default=list)
    created_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保密审查")
        verbose_name_plural = _("保密审查")
        ordering = ["item", "-created_at", "-id"]
        indexes = [models.Index(fields=["item", "-created_at"], name="secrecy_review_item_idx")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.typed_name}"
