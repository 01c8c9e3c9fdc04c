"""Invariants of the ledger arithmetic, checked over many generated cases."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from xinbao.scoring.ledger import _split
from xinbao.scoring.models import FactType

amounts = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False)


@given(amount=amounts, partners=st.integers(min_value=0, max_value=12))
def test_joint_shares_sum_to_the_items_points(amount: Decimal, partners: int) -> None:
    item: Any = SimpleNamespace(pk=1, unit_id=100)
    co_units = {1: list(range(200, 200 + partners))}
    lines = _split(
        item, co_units, {"joint_split": "equal"}, amount, "《组工信息》采用", "entry:1",
        datetime.date(2026, 3, 1), "adoption.periodical.county", FactType.ADOPTION, "county",
    )  # fmt: skip
    assert len(lines) == partners + 1
    assert sum(line.points for line in lines) == amount
    assert all(line.points >= 0 for line in lines)
    assert lines[0].unit_id == 100 and lines[0].points == max(line.points for line in lines)
    assert max(line.points for line in lines) - min(line.points for line in lines) < Decimal(
        "0.01"
    ) * (partners + 1)
