"""Masked display of personal data (R27) for roles without need-to-know."""

from __future__ import annotations

from typing import Any

from xinbao.security.matrix import get_matrix


def mask(value: str, *, head: int = 3, tail: int = 4) -> str:
    """``13812341234`` → ``138****1234``; ``330102199001011234`` → ``3301**********1234``
    (ID numbers keep 4 in front). Short values are masked entirely but the last character."""
    value = value or ""
    if len(value) >= 15:
        head = 4
    if len(value) <= head + tail:
        return "*" * max(len(value) - 1, 0) + value[-1:]
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def may_see_personal_data(viewer: Any) -> bool:
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and getattr(viewer, "role", "") in get_matrix().personal_data_roles
    )


def shown(value: str, viewer: Any) -> str:
    """The value itself for roles with need-to-know (role_matrix.toml [personal_data]), else
    masked."""
    return value if may_see_personal_data(viewer) else mask(value)
