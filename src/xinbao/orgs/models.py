"""The org tree (units and organization departments) and the people in it.

A unit's ``path`` is the chain of codes from the root (``/GD/GZ/XX01/``), so a whole subtree is
one indexed prefix query at province scale. ``department`` is the nearest organization department
above the unit: the one its items are submitted to. Both are derived and kept up to date by
``orgs.services``; nothing else writes them.
"""

from __future__ import annotations

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

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["sort_order", "code"]
        indexes = [models.Index(fields=["department", "kind", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_org_department(self) -> bool:
        return self.kind == self.Kind.ORG_DEPT

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        if self.kind == self.Kind.ORG_DEPT and not self.level:
            raise ValidationError({"level": _("组织部门必须选择级别。")})
        if self.kind != self.Kind.ORG_DEPT and self.level:
            raise ValidationError({"level": _("只有组织部门才有级别。")})
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("上级单位不能是本单位或其下级单位。")})
            ancestor = ancestor.parent


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
    # Encrypted at rest with SM4-GCM (R27); shown masked to roles without need-to-know.
    phone = EncryptedCharField(_("联系电话"), max_length=30, blank=True)
    language = models.CharField(_("界面语言"), max_length=10, default="zh-hans")
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=True)
    # Set whenever the password is set through ``set_password`` (see
    # xinbao.security.validators.PasswordHistoryValidator); NULL means unknown, never expired.
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

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

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def home_unit(self) -> Unit:
        """The user's unit, for code paths that only business roles reach (see ``clean``)."""
        if self.unit is None:
            raise PermissionDenied("this account belongs to no unit")
        return self.unit

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
