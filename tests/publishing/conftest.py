from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import County
from tests.factories import make_item
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.publishing.models import Publication


@pytest.fixture
def adopted(county: County) -> Callable[..., Item]:
    """Make an item of town A adopted by the county department."""

    def make(title: str = "甲镇推行党员积分管理", **fields: object) -> Item:
        item = make_item(officer=county.officer_a, title=title, **fields)  # type: ignore[arg-type]
        transition(item=item, actor=county.officer_a, action="submit")
        return transition(item=item, actor=county.editor, action="adopt")

    return make


@pytest.fixture
def periodical(county: County) -> Publication:
    return Publication.objects.create(
        department=county.dept,
        name="组工信息",
        kind=Publication.Kind.PERIODICAL,
        last_year=2026,
        last_number=11,
        last_total_number=344,
        distribution="报送:市委组织部。\n抄送:县委常委。",
    )
