"""Bearer-token authentication and the per-token rate limit.

``TokenAuth`` resolves ``Authorization: Bearer <token>`` to the token's owner: the token must be
known (by its SHA-256 digest), not expired, not revoked, and its owner active; anything else is a
401. The owner becomes ``request.user`` and their chosen script (简体/繁體) is activated for the
rest of the request, as the pages do for signed-in users.

Rate limits are fixed one-minute windows counted in Django's cache (per process with the default
local-memory cache, shared across app servers when the cache is Redis).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from xinbao.api import queries, services
from xinbao.api.errors import RateLimited
from xinbao.api.models import ApiToken
from xinbao.items.errors import NotAllowed
from xinbao.security.validators import password_expired

if TYPE_CHECKING:
    from xinbao.orgs.models import User

    class ApiRequest(HttpRequest):
        """A request that passed ``TokenAuth`` (narrowed for type checking only)."""

        user: User
        auth: ApiToken
else:
    ApiRequest = HttpRequest

WINDOW_SECONDS = 60
MAX_TOKEN_LENGTH = 200


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        found = queries.token_by_digest(services.token_digest(token))
        now = timezone.now()
        if found is None or not found.is_usable(now):
            return None
        user = found.user
        if user.must_change_password or password_expired(user):
            raise NotAllowed(_("请先登录网页修改密码,再使用接口。"))
        services.token_touch(token=found, now=now)
        request.user = user
        language = user.language if user.language in dict(settings.LANGUAGES) else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return found


def window_hit(key: str, limit: int) -> int | None:
    """Count one request against ``key`` in the current window; the seconds to wait when the
    window already holds ``limit`` requests, else ``None``."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    cache_key = f"xinbao:api:rate:{key}:{window}"
    cache.add(cache_key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr: start the window again
        cache.set(cache_key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    return None if count <= limit else seconds_left_in_window(now)


def seconds_left_in_window(now: float | None = None) -> int:
    now = time.time() if now is None else now
    return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS) + 1)


class TokenRateThrottle(BaseThrottle):
    """At most ``XINBAO_API_RATE_PER_MINUTE`` requests per token per minute. Shared by all
    requests, so it keeps no state of its own: the wait is the rest of the current window."""

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return True
        limit = int(settings.XINBAO_API_RATE_PER_MINUTE)
        return window_hit(f"token:{token.digest[:32]}", limit) is None

    def wait(self) -> float | None:
        return seconds_left_in_window()


def check_sign_in_rate(request: HttpRequest, username: str) -> None:
    """At most ``XINBAO_API_LOGIN_RATE_PER_MINUTE`` sign-ins per client address and username."""
    address = request.META.get("REMOTE_ADDR") or "-"
    key = services.token_digest(f"{address}\n{username.strip().lower()}")[:32]
    wait = window_hit(f"signin:{key}", int(settings.XINBAO_API_LOGIN_RATE_PER_MINUTE))
    if wait is not None:
        raise RateLimited(_("登录尝试过于频繁,请 %(s)d 秒后再试。") % {"s": wait}, wait=wait)
