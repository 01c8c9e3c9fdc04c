from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from pytest_django.fixtures import Settings

from xinbao.orgs.models import User
from xinbao.search.queries import SearchFilters, search_items


def found(user: User, query: str, order: str = "newest", **filters: Any) -> list[int]:
    """Ids of the items ``user`` finds with ``query`` (first 100, in the page's order)."""
    results = search_items(user, query, SearchFilters(**filters), order)
    return [hit.item.pk for hit in results.page(1, per_page=100).object_list]


@pytest.fixture(autouse=True)
def plan_cache() -> None:
    """Each test plans its searches afresh (``search.index`` keeps planning answers in the
    cache; a test's ids and statistics are its own)."""
    cache.clear()


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    """Uploaded files go to a directory of this test's own."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root
