"""Cached dashboard aggregates with versioned keys.

Every key embeds two version tokens: the department's (bumped by ``dashboard.signals`` after the
commit of any change to an item, its events, adoptions, forwardings, instructions, key-work tags,
rule sets or deductions of that department) and a global one (bumped by changes whose department
is not known cheaply, such as an issue being published). The points ledger is rewritten in bulk
by ``scoring.ledger.rebuild`` (``bulk_create`` sends no signal), so the key also embeds the
newest ledger line id of the department (one indexed query): a rebuild always creates new ids.

A bump never deletes anything: old entries simply stop being asked for and expire
(``XINBAO_DASHBOARD_CACHE_SECONDS``, a day by default). The cache is Django's (``CACHES``):
local memory in the demo, Redis in deployments (``XINBAO_REDIS_URL``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils.translation import get_language

from xinbao.scoring.models import ScoreEntry

T = TypeVar("T")
PREFIX = "xinbao:dash"
GLOBAL = f"{PREFIX}:v:all"


def department_key(department_id: int) -> str:
    return f"{PREFIX}:v:{department_id}"


def new_token() -> int:
    return time.time_ns()


def bump(department_id: int | None = None, token: int | None = None) -> None:
    """Make every cached figure of the department (or of all departments) stale: its version
    becomes ``token`` (a new one by default; ``pages.warm`` renders a page under the token
    before it is made current)."""
    key = GLOBAL if department_id is None else department_key(department_id)
    cache.set(key, new_token() if token is None else token, None)


def version(department_id: int, token: int | None = None) -> str:
    """The department's current version string (one cache round trip, one query); with
    ``token``, the version it will have once bumped to that token."""
    tokens = cache.get_many([GLOBAL, department_key(department_id)])
    ledger = ScoreEntry.objects.filter(department_id=department_id).aggregate(last=Max("id"))
    department = tokens.get(department_key(department_id), 0) if token is None else token
    return "{}.{}.{}".format(tokens.get(GLOBAL, 0), department, ledger["last"] or 0)


# Refresh-ahead: the department page a person had to wait for (a miss) is remembered this long;
# while it is, the background refresh renders it again after each bump (``pages.warm``), so
# the next look at it is a cache hit. A page nobody opens costs the refresh nothing.
WATCH_SECONDS = 3600


def watched_key(department_id: int) -> str:
    return f"{PREFIX}:watched:{department_id}"


def watch(department_id: int, page: Any) -> None:
    """Remember ``page`` (what ``pages.warm`` needs to render it again) for ``WATCH_SECONDS``."""
    cache.set(watched_key(department_id), page, WATCH_SECONDS)


def watched(department_id: int) -> Any:
    return cache.get(watched_key(department_id))


def cached(name: str, department_id: int, parts: str, stamp: str, compute: Callable[[], T]) -> T:
    """``compute()``'s value, from the cache while ``stamp`` (see ``version``) is unchanged."""
    key = f"{PREFIX}:{name}:{department_id}:{stamp}:{get_language()}:{parts}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, getattr(settings, "XINBAO_DASHBOARD_CACHE_SECONDS", 86400))
    return value
