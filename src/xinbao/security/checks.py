"""System checks for 三员分立 (R13), run by ``check --deploy``: no active superuser, and no
administrator holding a model permission outside their role's powers in role_matrix.toml."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from xinbao.security.matrix import MATRIX_FILE, get_matrix


@register(Tags.security, deploy=True)
def no_superusers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django.contrib.auth import get_user_model

    try:
        names = list(
            get_user_model()
            .objects.filter(is_active=True, is_superuser=True)
            .values_list("username", flat=True)[:20]
        )
    except DatabaseError:
        return []  # not migrated yet: nothing to check
    if not names:
        return []
    return [
        Error(
            f"Active superuser accounts exist: {', '.join(names)}.",
            hint="三员分立: use the sysadmin/secadmin/auditadmin roles; "
            "set is_superuser=False (or disable the account) before going live.",
            id="xinbao.security.E001",
        )
    ]


@register(Tags.security, deploy=True)
def admin_permissions_within_powers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django.contrib.auth import get_user_model

    powers = get_matrix().powers
    errors: list[CheckMessage] = []
    try:
        users = list(get_user_model().objects.filter(is_active=True, role__in=list(powers)))
        for user in users:
            extra = user.get_all_permissions() - powers[user.role].permissions
            if extra:
                errors.append(
                    Error(
                        f"{user.username} ({user.role}) holds {sorted(extra)}.",
                        hint=f"Only the permissions under [powers.{user.role}] in {MATRIX_FILE}.",
                        id="xinbao.security.E002",
                    )
                )
            if user.is_staff and not powers[user.role].admin_site:
                errors.append(
                    Error(
                        f"{user.username} ({user.role}) is staff but this role has no admin site.",
                        id="xinbao.security.E003",
                    )
                )
    except DatabaseError:
        return []
    return errors
