from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.factories import make_item
from xinbao.api.services import token_create
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.orgs.models import User
from xinbao.publishing.models import Publication

BASE = "/api/v1"


class ApiClient:
    """A client that speaks JSON to ``/api/v1`` with one user's bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self.headers())

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            BASE + path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers(),
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            BASE + path, json.dumps(body), content_type="application/json", headers=self.headers()
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(BASE + path, headers=self.headers())

    def upload(self, path: str, name: str, data: bytes) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.client.post(
            BASE + path, {"file": SimpleUploadedFile(name, data)}, headers=self.headers()
        )


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Rate-limit windows live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(db: None) -> Callable[[User | None], ApiClient]:
    """``api(user)``: a client holding a fresh token of ``user``; ``api(None)``: no token."""

    def make(user: User | None) -> ApiClient:
        if user is None:
            return ApiClient(None)
        _token, secret = token_create(user=user, name="测试")
        return ApiClient(secret)

    return make


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Any) -> None:
    """Uploaded files go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def adopted(county: County) -> Callable[..., Item]:
    """Make an item of town A, submitted and adopted by the county department."""

    def make(title: str = "甲镇推行党员积分管理") -> Item:
        item = make_item(officer=county.officer_a, title=title)
        transition(item=item, actor=county.officer_a, action="submit")
        return transition(item=item, actor=county.editor, action="adopt")

    return make


@pytest.fixture
def periodical(county: County) -> Publication:
    return Publication.objects.create(
        department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
    )
