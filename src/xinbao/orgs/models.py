"""The org tree (units and organization departments) and the people in it.

A unit's ``path`` is the chain of codes from the root (``/GD/GZ/XX01/``), so a whole subtree is
one indexed prefix query at province scale. ``department`` is the nearest organization department
above the unit: the one its items are submitted to. Both are derived and kept up to date by
``orgs.services``; nothing else writes them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from xinbao.security.fields import EncryptedCharField


class Unit(models.Model):
    class Kind(models.TextChoices):
        ORG_DEPT = "org_dept", _("组织部门")
        TOWNSHIP = "township", _("乡镇")
        DEPARTMENT = "department", _("部门")
        OTHER = "other", _("其他")

    class AssessmentClass(models.TextChoices):
        """The class a unit is assessed in (考核类别): quotas, base points and the rankings
        "within each unit class" key on it. Defaults from the kind (``default_class``); the
        department's editors set the A/B/C class of county departments (``scoring`` page)."""

        TOWNSHIP = "township", _("乡镇")
        DEPT_A = "dept_a", _("县直部门A类")
        DEPT_B = "dept_b", _("县直部门B类")
        DEPT_C = "dept_c", _("县直部门C类")
        OFFICE = "office", _("部机关科室")
        OTHER = "other", _("其他单位")

    class Level(models.TextChoices):
        CENTRAL = "central", _("中央")
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    department = models.ForeignKey(
        "self",
        verbose_name=_("报送的组织部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member_units",
        editable=False,
    )
    path = models.CharField(max_length=400, editable=False, db_index=True)
    is_active = models.BooleanField(_("启用"), default=True)
    requires_signoff = models.BooleanField(
        _("报送前需分管领导签发"),
        default=False,
        help_text=_("勾选后,本单位信息须经分管领导签发才能报送。"),
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    assessment_class = models.CharField(
        _("考核类别"),
        max_length=16,
        choices=AssessmentClass.choices,
        blank=True,
        help_text=_("留空时按类型取默认:乡镇为乡镇类,部门为县直部门B类,其他为其他单位。"),
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["sort_order", "code"]
        indexes = [models.Index(fields=["department", "kind", "is_active"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.assessment_class:
            self.assessment_class = default_class(self.kind)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_org_department(self) -> bool:
        return self.kind == self.Kind.ORG_DEPT

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def effective_class(self) -> str:
        """The assessment class, or the kind's default while none is stored ("" for an
        organization department, which is not assessed)."""
        if self.assessment_class and self.assessment_class in allowed_classes(self.kind):
            return self.assessment_class
        return default_class(self.kind)

    @property
    def effective_class_label(self) -> str:
        return str(CLASS_LABELS.get(self.effective_class, ""))

    def clean(self) -> None:
        if self.assessment_class and self.assessment_class not in allowed_classes(self.kind):
            raise ValidationError({"assessment_class": _("这个考核类别不适用于该类型的单位。")})
        if self.kind == self.Kind.ORG_DEPT and not self.level:
            raise ValidationError({"level": _("组织部门必须选择级别。")})
        if self.kind != self.Kind.ORG_DEPT and self.level:
            raise ValidationError({"level": _("只有组织部门才有级别。")})
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("上级单位不能是本单位或其下级单位。")})
            ancestor = ancestor.parent


CLASS_LABELS = dict(Unit.AssessmentClass.choices)
_DEFAULT_CLASS = {
    Unit.Kind.TOWNSHIP: Unit.AssessmentClass.TOWNSHIP,
    Unit.Kind.DEPARTMENT: Unit.AssessmentClass.DEPT_B,
    Unit.Kind.OTHER: Unit.AssessmentClass.OTHER,
}
# A township is assessed as a township; any other unit in any class but that one.
_NON_TOWNSHIP = tuple(c for c in Unit.AssessmentClass.values if c != "township")
_ALLOWED = {
    Unit.Kind.TOWNSHIP: (Unit.AssessmentClass.TOWNSHIP.value,),
    Unit.Kind.DEPARTMENT: _NON_TOWNSHIP,
    Unit.Kind.OTHER: _NON_TOWNSHIP,
}


def default_class(kind: str) -> str:
    """The assessment class a unit of ``kind`` has until an editor sets one."""
    return str(_DEFAULT_CLASS.get(kind, ""))  # type: ignore[call-overload]


def allowed_classes(kind: str) -> tuple[str, ...]:
    return _ALLOWED.get(kind, ())  # type: ignore[call-overload]


class Role(models.TextChoices):
    OFFICER = "officer", _("信息员")
    UNIT_LEADER = "unit_leader", _("分管领导(签发人)")
    EDITOR = "editor", _("编辑")
    DEPT_LEADER = "dept_leader", _("部领导")
    SYSADMIN = "sysadmin", _("系统管理员")
    SECADMIN = "secadmin", _("安全管理员")
    AUDITADMIN = "auditadmin", _("审计管理员")


UNIT_ROLES = frozenset({Role.OFFICER, Role.UNIT_LEADER})
DEPARTMENT_ROLES = frozenset({Role.EDITOR, Role.DEPT_LEADER})
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN})


class User(AbstractUser):
    class OfficerRank(models.TextChoices):
        PRIMARY = "primary", _("主信息员")
        REGULAR = "regular", _("信息员")
        BACKUP = "backup", _("后备信息员")

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所在单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    officer_rank = models.CharField(
        _("信息员类别"), max_length=16, choices=OfficerRank.choices, blank=True
    )
    post = models.CharField(_("职务"), max_length=60, blank=True)
    # Encrypted at rest with SM4-GCM (R27); shown masked to roles without need-to-know. Read and
    # written only through ``contact_phone`` / ``set_contact_phone`` (and the importer and admin
    # form, which write it as typed).
    phone = EncryptedCharField(_("联系电话"), max_length=30, blank=True)
    appointed_on = models.DateField(_("任命日期"), null=True, blank=True)
    language = models.CharField(_("界面语言"), max_length=10, default="zh-hans")
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=True)
    # Set whenever the password is set through ``set_password`` (see
    # xinbao.security.validators.PasswordHistoryValidator); NULL means unknown, never expired.
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    # The second factor's generation (R08): a session's OTP verification holds only while the
    # epoch it recorded equals this one (``security.otp``). Raised when a confirmed device is
    # added, removed or re-keyed and when the password changes, so every other session loses
    # its second factor without a device query per request.
    otp_epoch = models.PositiveIntegerField(_("动态口令代次"), default=0, db_default=0)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        indexes = [models.Index(fields=["unit", "role", "is_active"])]
        constraints = [
            # One identity per person (R01): "Zhang" and "zhang" are the same login name.
            models.UniqueConstraint(Lower("username"), name="orgs_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new password (``set_password`` then ``save``; not the hash upgrade at sign-in,
        which clears ``_password`` first) raises ``otp_epoch`` in the same UPDATE, so the other
        sessions' second factor ends with it. Any other save of a stored user leaves the column
        alone: a form or script that loaded the user before a device reset would otherwise
        write the old epoch back and revive the sessions the reset ended.

        After a bump the instance holds the epoch it was loaded with plus one, not the stored
        value read back: if another bump landed meanwhile, the session recording this value is
        stale and asks for a code again rather than absorbing the other change."""
        # ``_password`` is AbstractBaseUser's raw new password, which the stubs do not declare.
        stored = not self._state.adding
        bump = stored and getattr(self, "_password", None) is not None
        loaded = self.otp_epoch
        fields = kwargs.get("update_fields")
        if bump:
            self.otp_epoch = models.F("otp_epoch") + 1
            if fields is not None:
                kwargs["update_fields"] = {*fields, "otp_epoch"}
        elif stored and fields is None and not kwargs.get("force_insert"):
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name != "otp_epoch"
                and field.attname not in deferred
            ]
        super().save(*args, **kwargs)
        if bump:
            self.otp_epoch = loaded + 1

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def home_unit(self) -> Unit:
        """The user's unit, for code paths that only business roles reach (see ``clean``)."""
        if self.unit is None:
            raise PermissionDenied("this account belongs to no unit")
        return self.unit

    @property
    def contact_phone(self) -> str:
        """The phone number in clear. The one reader of ``phone``; masking is
        ``orgs.roster.masked_phone`` (who sees what is ``orgs.roster.sees_full_contact``)."""
        return self.phone

    def set_contact_phone(self, value: str) -> None:
        """The one writer of ``phone`` (the caller saves)."""
        self.phone = value.strip()

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    def clean(self) -> None:
        super().clean()
        if self.role in ADMIN_ROLES:
            if self.unit_id is not None:
                raise ValidationError({"unit": _("管理员不隶属于业务单位。")})
            return
        if self.unit_id is None:
            raise ValidationError({"unit": _("该角色必须指定所在单位。")})
        if self.role in DEPARTMENT_ROLES and not self.home_unit.is_org_department:
            raise ValidationError({"unit": _("编辑和部领导必须属于组织部门。")})
        if self.role == Role.OFFICER and not self.officer_rank:
            self.officer_rank = self.OfficerRank.REGULAR
        if self.role != Role.OFFICER and self.officer_rank:
            raise ValidationError({"officer_rank": _("只有信息员才有信息员类别。")})


# --- the officer team (信息员队伍) ---------------------------------------------------------------


class OfficerEvent(models.Model):
    """One line of an officer's history: appointed, moved, rank changed, left. Append-only:
    written by ``orgs.services`` with an audit record, never changed or deleted."""

    class Kind(models.TextChoices):
        APPOINTED = "appointed", _("任命")
        MOVED = "moved", _("调动")
        RANK_CHANGED = "rank_changed", _("类别调整")
        LEFT = "left", _("离任")

    officer = models.ForeignKey(
        User, verbose_name=_("信息员"), on_delete=models.PROTECT, related_name="officer_events"
    )
    kind = models.CharField(_("事项"), max_length=16, choices=Kind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="officer_events"
    )
    from_unit = models.ForeignKey(
        Unit,
        verbose_name=_("原单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rank = models.CharField(_("类别"), max_length=16, choices=User.OfficerRank.choices, blank=True)
    from_rank = models.CharField(
        _("原类别"), max_length=16, choices=User.OfficerRank.choices, blank=True
    )
    post = models.CharField(_("职务"), max_length=60, blank=True)
    occurred_on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("信息员履历")
        verbose_name_plural = _("信息员履历")
        ordering = ["officer", "occurred_on", "id"]
        indexes = [
            models.Index(fields=["officer", "occurred_on"], name="officer_event_officer_idx"),
            models.Index(fields=["unit", "occurred_on"], name="officer_event_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.officer_id} {self.kind} {self.occurred_on}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionDenied("officer history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("officer history is append-only")


class TrainingSession(models.Model):
    """A training session (培训) a department held for its officers."""

    department = models.ForeignKey(
        Unit, verbose_name=_("组织部门"), on_delete=models.PROTECT, related_name="trainings"
    )
    held_on = models.DateField(_("日期"))
    topic = models.CharField(_("主题"), max_length=200)
    trainer = models.CharField(_("授课人"), max_length=100, blank=True)
    place = models.CharField(_("地点"), max_length=100, blank=True)
    notes = models.TextField(_("内容摘要"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["department", "-held_on"], name="training_dept_date_idx")]

    def __str__(self) -> str:
        return self.topic


def training_material_path(instance: TrainingMaterial, filename: str) -> str:
    return f"training/{instance.session_id}/{instance.sha256[:16]}"


class TrainingMaterial(models.Model):
    """A file (checked like an item's attachment) or a link handed out at a session."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("名称"), max_length=200)
    url = models.URLField(_("链接"), max_length=500, blank=True)
    file = models.FileField(_("文件"), upload_to=training_material_path, max_length=200, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("类型"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("大小"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训材料")
        verbose_name_plural = _("培训材料")
        ordering = ["session", "id"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Whether one officer attended one session. ``unit`` is the officer's unit on that day, so
    a later move does not shift the absence to the new unit."""

    class Status(models.TextChoices):
        PRESENT = "present", _("出席")
        ABSENT = "absent", _("缺席")
        EXCUSED = "excused", _("请假")

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendance"
    )
    officer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="attendance")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("出勤"), max_length=10, choices=Status.choices)

    class Meta:
        verbose_name = _("培训出勤")
        verbose_name_plural = _("培训出勤")
        constraints = [
            models.UniqueConstraint(fields=["session", "officer"], name="attendance_once")
        ]
        indexes = [
            models.Index(fields=["officer", "session"], name="attendance_officer_idx"),
            models.Index(fields=["unit", "status"], name="attendance_unit_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.officer_id} {self.status}"


class ExemplaryItem(models.Model):
    """An adopted item an editor chose for the library of 优秀信息范文, with a commentary (点评).

    ``title`` and ``text`` are the adopted text (the published entry's, else the item's text
    when it was adopted), copied at the choice: officers of other units read this copy, never
    the item itself, its drafts or its revisions. ``search_text`` is ``search.normalize`` of
    both (Traditional folded to Simplified), for the keyword filter."""

    item = models.OneToOneField(
        "items.Item", verbose_name=_("信息"), on_delete=models.PROTECT, related_name="exemplary"
    )
    department = models.ForeignKey(
        Unit, verbose_name=_("组织部门"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "items.Category", verbose_name=_("类别"), on_delete=models.PROTECT, related_name="+"
    )
    unit_name = models.CharField(_("供稿单位"), max_length=100)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("采用稿正文"))
    commentary = models.TextField(_("点评"))
    search_text = models.TextField(editable=False)
    chosen_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(_("选入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("优秀信息范文")
        verbose_name_plural = _("优秀信息范文")
        ordering = ["-chosen_at", "-id"]
        indexes = [
            models.Index(fields=["department", "category", "-chosen_at"], name="exemplary_idx")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.text.split("\n") if line.strip()]
