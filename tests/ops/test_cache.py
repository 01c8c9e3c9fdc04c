"""The shared cache when Redis is down: pages answer, nothing raises, the outage is logged.

The unreachable server is a closed port on this machine, so the tests need no Redis; the last
test checks the same backend against the real Redis (skipped only outside CI when it is absent).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

import pytest
from django.core.cache import cache, caches
from django.test import Client
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.factories import make_item, put_in_state
from xinbao.api.auth import window_hit
from xinbao.items.models import State
from xinbao.ops.cache import TolerantRedisCache
from xinbao.orgs.models import User


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the socket goes


def redis_cache(location: str) -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "xinbao.ops.cache.TolerantRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"xinbao-test-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_down(settings: Settings) -> None:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port()}/0")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("redis_down")
def test_every_operation_answers_as_an_empty_cache(caplog: pytest.LogCaptureFixture) -> None:
    assert isinstance(caches["default"], TolerantRedisCache)
    with caplog.at_level(logging.WARNING, logger="xinbao.ops.cache"):
        cache.set("a", 1)
        assert cache.get("a") is None
        assert cache.get("a", "默认") == "默认"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.add("a", 1) is False
        assert cache.has_key("a") is False
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert cache.delete("a") is False
        cache.delete_many(["a", "b"])
        with pytest.raises(ValueError, match="not found"):
            cache.incr("a")
    assert "缓存服务不可用" in caplog.text


@pytest.mark.usefixtures("redis_down")
def test_rate_limit_lets_requests_through_while_redis_is_down() -> None:
    assert all(window_hit("token:1", limit=2) is None for _ in range(5))


@pytest.mark.usefixtures("redis_down")
def test_search_page_answers_while_redis_is_down(county: County) -> None:
    item = put_in_state(make_item(officer=county.officer_a, title="甲镇村级换届"), State.SUBMITTED)
    response = client_for(county.editor).get("/search/", {"q": "换届"})
    assert response.status_code == 200
    assert f'href="/items/{item.pk}/"' in response.content.decode()


@pytest.mark.usefixtures("redis_down")
def test_dashboard_answers_while_redis_is_down(county: County) -> None:
    put_in_state(make_item(officer=county.officer_a, title="甲镇村级换届"), State.SUBMITTED)
    response = client_for(county.dept_leader).get("/dashboard/")
    assert response.status_code == 200
    assert "dashboard-data" in response.content.decode()


def redis_is_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_the_same_backend_stores_and_counts_on_a_running_redis(settings: Settings) -> None:
    if not redis_is_running():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (CI must have it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.CACHES = redis_cache("redis://127.0.0.1:6379/15")
    cache.set("a", {"图": 1}, 30)
    assert cache.get("a") == {"图": 1}
    assert cache.add("n", 0, 30) is True
    assert cache.incr("n") == 1
    assert cache.get_many(["a", "n"]) == {"a": {"图": 1}, "n": 1}
    cache.delete_many(["a", "n"])
    assert cache.get("a") is None
