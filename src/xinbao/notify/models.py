"""Messages: the in-app inbox (one row per recipient and message), the e-mail preferences, the
department's group-chat webhook, the deliveries that carry messages out (mail, webhook) with
their retries, and the department's notices and study materials (上情下达) with read receipts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a message is about; users choose by kind which ones also come by e-mail."""

    TOPIC = "topic", _("新约稿")
    TOPIC_DUE = "topic_due", _("约稿截止提醒")
    TOPIC_MISSED = "topic_missed", _("约稿未回复提醒")
    MONTHLY_QUIET = "monthly_quiet", _("本月未报送提醒")
    RETURNED_IDLE = "returned_idle", _("退回信息未处理提醒")
    ESCALATION = "escalation", _("紧急信息超时")
    FEEDBACK_DUE = "feedback_due", _("批示反馈提醒")
    RECOGNITION = "recognition", _("采用与批示")
    NOTICE = "notice", _("通知公告与学习资料")
    GENERAL = "general", _("其他消息")


# Kinds mailed to a user who has not chosen (reminders and notices: what needs doing).
DEFAULT_EMAIL_KINDS = frozenset(
    {
        Kind.TOPIC,
        Kind.TOPIC_DUE,
        Kind.TOPIC_MISSED,
        Kind.RETURNED_IDLE,
        Kind.ESCALATION,
        Kind.FEEDBACK_DUE,
        Kind.NOTICE,
    }
)


class Notification(models.Model):
    """One message to one user. ``url`` is where it leads (an item, a topic, a notice, an issue —
    any page); ``item`` is kept for items so that a message goes when its item does."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    item = models.ForeignKey(
        "items.Item", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    url = models.CharField(_("链接"), max_length=300, blank=True)
    text = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.text


class EmailPreference(models.Model):
    """The kinds of message a user also wants by e-mail; no row means ``DEFAULT_EMAIL_KINDS``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference"
    )
    kinds = models.JSONField(_("邮件接收的消息类型"), default=list)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("邮件偏好")
        verbose_name_plural = _("邮件偏好")

    def __str__(self) -> str:
        return f"{self.user_id}"


class DepartmentWebhook(models.Model):
    """An organization department's group-chat robot (企业微信、钉钉 and the like): new topics and
    notices of the department are posted there as a text message with the title and link."""

    department = models.OneToOneField(
        "orgs.Unit", on_delete=models.CASCADE, related_name="webhook", verbose_name=_("组织部门")
    )
    url = models.URLField(_("机器人地址"), max_length=500)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return f"{self.department_id}"


class Delivery(models.Model):
    """One message on its way out, by mail or webhook. Sent by a background task after the
    transaction that caused it commits; a failure is stored (``attempts``, ``last_error``) and
    retried at ``next_attempt_at`` with exponential backoff until ``XINBAO_DELIVERY_MAX_ATTEMPTS``.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        WEBHOOK = "webhook", _("群机器人")

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    address = models.CharField(_("地址"), max_length=500)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    url = models.CharField(_("链接"), max_length=500, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}"


class Notice(models.Model):
    """A notice (通知公告) or study material (上级会议精神, 文件, 写作指导) the department sends
    down, or a published issue distributed (分发). Recipients are fixed when it is published:
    one ``NoticeReceipt`` per person."""

    class Category(models.TextChoices):
        NOTICE = "notice", _("通知公告")
        SPIRIT = "spirit", _("上级会议精神")
        DOCUMENT = "document", _("文件")
        GUIDANCE = "guidance", _("写作指导")
        ISSUE = "issue", _("刊物分发")

    class Targeting(models.TextChoices):
        ALL = "all", _("全部单位")
        TOWNSHIPS = "townships", _("全部乡镇")
        KIND = "kind", _("某类单位")
        LIST = "list", _("指定单位")
        OFFICERS = "officers", _("全体信息员")

    department = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="notices", verbose_name=_("组织部门")
    )
    category = models.CharField(_("类别"), max_length=10, choices=Category.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    targeting = models.CharField(_("发送对象"), max_length=10, choices=Targeting.choices)
    target_kind = models.CharField(_("单位类型"), max_length=16, blank=True)
    issue = models.ForeignKey(
        "publishing.PublicationIssue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("分发的刊物"),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知与学习资料")
        verbose_name_plural = _("通知与学习资料")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["department", "-published_at"], name="notice_dept_idx")]

    def __str__(self) -> str:
        return self.title


def notice_attachment_path(instance: NoticeAttachment, filename: str) -> str:
    return f"notices/{instance.notice_id}/{filename}"


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=notice_attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["notice", "id"]

    def __str__(self) -> str:
        return self.original_name


class NoticeReceipt(models.Model):
    """One recipient of a notice and when they first opened it (the read receipt)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_receipts"
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("阅读回执")
        verbose_name_plural = _("阅读回执")
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="notice_receipt_unique")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notice_receipt_user_idx"),
            models.Index(fields=["notice", "read_at"], name="notice_receipt_read_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.user_id}"
