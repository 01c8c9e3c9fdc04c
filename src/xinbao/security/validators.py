"""Password rules beyond Django's own validators (R02, R03)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

CLASS_NAMES = ("小写字母", "大写字母", "数字", "特殊字符")


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    return sum(
        (
            any(ch.islower() for ch in password),
            any(ch.isupper() for ch in password),
            any(ch.isdigit() for ch in password),
            any(not ch.isalnum() for ch in password),
        )
    )


class ComplexityValidator:
    """At least ``min_classes`` of the four character classes (等保 L3-CES1-01 复杂度)."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字、特殊字符四类中的至少 %(n)d 类。"),
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、特殊字符四类中的至少 %(n)d 类。") % {
            "n": self.min_classes
        }


class PasswordHistoryValidator:
    """No reuse of the current or the last ``keep`` passwords; records each new hash."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from xinbao.security.models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[
                : self.keep
            ]
        )
        if user.password:
            hashes.append(user.password)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                _("新密码不能与最近 %(n)d 次使用过的密码相同。"),
                code="password_reused",
                params={"n": self.keep},
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        """Called by ``User.save()`` after ``set_password``: keep the hash, stamp the time."""
        if user is None or user.pk is None:
            return
        from xinbao.security.models import PasswordHistory

        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        stale = PasswordHistory.objects.filter(user_id=user.pk).values_list("pk", flat=True)[
            self.keep :
        ]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
        now = timezone.now()
        type(user).objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self) -> str:
        return _("新密码不能与最近 %(n)d 次使用过的密码相同。") % {"n": self.keep}


def password_expired(user: Any, now: Any = None) -> bool:
    """True once ``XINBAO_PASSWORD_MAX_AGE_DAYS`` have passed since the last change.

    An unknown change time (accounts created without ``set_password``, such as the demo
    accounts, and accounts from before this field existed) counts as not expired: there is no
    date to count from, and such accounts are forced to change at first login anyway unless an
    administrator decided otherwise.
    """
    changed = getattr(user, "password_changed_at", None)
    if changed is None or settings.XINBAO_PASSWORD_MAX_AGE_DAYS <= 0:
        return False
    now = now or timezone.now()
    return bool(now - changed > datetime.timedelta(days=settings.XINBAO_PASSWORD_MAX_AGE_DAYS))
