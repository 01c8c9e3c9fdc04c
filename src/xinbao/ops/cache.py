"""The shared cache, which an outage of Redis must not turn into error pages.

Everything kept in the cache can be worked out again: dashboard aggregates, search planning
answers, API rate-limit counters. So when Redis cannot be reached, a read is a miss, a write is
dropped and a counter starts again (the rate limit lets requests through until Redis is back);
each failure is logged as a warning. Sessions, tasks and locks never live in this cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

T = TypeVar("T")


class TolerantRedisCache(RedisCache):
    """Django's Redis cache, with an unreachable server answering as an empty cache."""

    def _tolerate(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except UNREACHABLE as error:
            logger.warning("缓存服务不可用,%s 按未命中处理:%s", operation, error)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._tolerate("get", lambda: RedisCache.get(self, key, default, version), default)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._tolerate("get_many", lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._tolerate("has_key", lambda: RedisCache.has_key(self, key, version), False)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._tolerate(
            "add", lambda: RedisCache.add(self, key, value, timeout, version), False
        )

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        self._tolerate("set", lambda: RedisCache.set(self, key, value, timeout, version), None)

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        unsaved = list(data)
        return self._tolerate(
            "set_many", lambda: RedisCache.set_many(self, data, timeout, version), unsaved
        )

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._tolerate("touch", lambda: RedisCache.touch(self, key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._tolerate("delete", lambda: RedisCache.delete(self, key, version), False)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._tolerate("delete_many", lambda: RedisCache.delete_many(self, keys, version), None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """An unreachable server is a missing key (``ValueError``), as Django's contract says."""
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE as error:
            logger.warning("缓存服务不可用,incr 按键不存在处理:%s", error)
            raise ValueError(f"Key '{key}' not found") from error
