"""``Idempotency-Key`` for API writes (R31: a client retrying after a crash never creates twice).

The first request with a key runs and its answer is stored in the same transaction as the change;
a later request with the same key by the same user gets that answer again, without running. The
same key with a different body is refused (409). On PostgreSQL two concurrent first requests meet
the unique constraint: the loser's transaction (its change included) rolls back and it returns the
winner's answer; on SQLite the IMMEDIATE transaction already makes them queue.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xinbao.items.errors import ItemError
from xinbao.ops.models import IdempotencyKey
from xinbao.orgs.models import User

KEY_MAX = 100


class KeyReused(ItemError):
    status = 409


def request_digest(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def idempotent_call(
    *, user: User, scope: str, key: str, body: Any, run: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """``run()`` once per (user, scope, key); returns (status, JSON-ready body)."""
    digest = request_digest(body)

    def stored() -> tuple[int, Any] | None:
        found = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
        if found is None:
            return None
        if found.request_digest != digest:
            raise KeyReused(_("这个 Idempotency-Key 已用于另一个不同内容的请求。"))
        return found.status, found.response

    try:
        with transaction.atomic():
            if (earlier := stored()) is not None:
                return earlier
            status, response = run()
            IdempotencyKey.objects.create(
                user=user,
                scope=scope,
                key=key,
                request_digest=digest,
                status=status,
                response=response,
            )
            return status, response
    except IntegrityError:
        earlier = stored()
        if earlier is None:
            raise
        return earlier
