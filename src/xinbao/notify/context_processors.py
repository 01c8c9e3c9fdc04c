from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from xinbao.notify.queries import unread_count


def unread_messages(request: HttpRequest) -> dict[str, Any]:
    """The header's unread-message count: one indexed COUNT, only for signed-in users."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {"unread_messages": unread_count(user)}
