"""What-if: a year's ranking under a draft rule set next to the current one, computed in memory
by ``ledger.compute`` (reads only: no ledger row is written, on any database)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from xinbao.items.errors import InvalidInput
from xinbao.orgs.models import Unit
from xinbao.publishing.models import HIGH_LEVELS
from xinbao.scoring import ledger
from xinbao.scoring.models import FactType
from xinbao.scoring.periods import year_period
from xinbao.scoring.ranking import RankRow, unit_ranking
from xinbao.scoring.rules import validate_rules


@dataclass
class WhatIfRow:
    current: RankRow
    draft: RankRow

    @property
    def unit(self) -> Unit:
        return self.current.unit

    @property
    def move(self) -> int:
        """Places gained (positive) or lost (negative) within the class under the draft."""
        return self.current.rank - self.draft.rank

    @property
    def delta(self) -> Decimal:
        return self.draft.points - self.current.points


@dataclass
class WhatIfGroup:
    kind: str
    label: str
    rows: list[WhatIfRow]


def whatif(
    department: Unit, year: int, draft_rules: Any, *, today: datetime.date | None = None
) -> list[WhatIfGroup]:
    """Each unit class's ranking now (the ledger) and under ``draft_rules``, ordered by the
    draft ranking. Invalid rules raise ``InvalidInput`` listing every problem."""
    errors = validate_rules(draft_rules)
    if errors:
        raise InvalidInput(";".join(errors))
    current = unit_ranking(department, year_period(year))
    lines = ledger.compute(department, year, draft_rules, today or timezone.localdate())
    totals: dict[int, Decimal] = defaultdict(Decimal)
    adopted: dict[int, set[int]] = defaultdict(set)
    high: dict[int, set[int]] = defaultdict(set)
    for line in lines:
        totals[line.unit_id] += line.points
        if line.fact_type == FactType.ADOPTION and line.points > 0 and line.item_id:
            adopted[line.unit_id].add(line.item_id)
            if line.level in HIGH_LEVELS:
                high[line.unit_id].add(line.item_id)
    groups = []
    for group in current.groups:
        pairs = []
        for row in group.rows:
            draft = RankRow(
                unit=row.unit,
                points=totals.get(row.unit.pk, Decimal(0)),
                submitted=row.submitted,
                adopted=len(adopted.get(row.unit.pk, ())),
                high_level=len(high.get(row.unit.pk, ())),
            )
            pairs.append(WhatIfRow(current=row, draft=draft))
        pairs.sort(key=lambda pair: pair.draft.sort_key())
        for position, pair in enumerate(pairs, start=1):
            pair.draft.rank = position
        groups.append(WhatIfGroup(kind=group.kind, label=group.label, rows=pairs))
    return groups
