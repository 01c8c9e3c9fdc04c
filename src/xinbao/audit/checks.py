from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def retention_at_least_180_days(**kwargs: Any) -> list[Error]:
    """R19: audit records stay online at least 180 days (网络安全法 第二十一条(三))."""
    days = getattr(settings, "XINBAO_AUDIT_RETENTION_DAYS", 180)
    if days < 180:
        return [
            Error(
                f"XINBAO_AUDIT_RETENTION_DAYS={days}:审计记录至少保留 180 天。",
                id="xinbao.audit.E001",
            )
        ]
    return []
