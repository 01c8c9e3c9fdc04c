"""TOTP second factor (RFC 6238, HMAC-based) through django-otp (R08)."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from xinbao.orgs.models import Role

# Roles that must use a second factor when XINBAO_OTP_REQUIRED is on: editors, department
# leaders and the three administrators (三员).
OTP_REQUIRED_ROLES = frozenset(
    {Role.EDITOR, Role.DEPT_LEADER, Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN}
)


def otp_required_for(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "role", "") in OTP_REQUIRED_ROLES)


def user_has_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
