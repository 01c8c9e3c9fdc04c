"""What the publishing side of the demo county works with: the county's adopted items as its
plan sees them, the issues published from them, and the count of what it made.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from xinbao.items.models import Item
from xinbao.orgs.demo import content
from xinbao.publishing.models import Forwarding


@dataclass(eq=False)
class Adopted:
    """An item the county department adopted, as the publishing plan sees it."""

    item: Item
    decided_at: datetime.datetime  # local time
    aim: content.PublicationSpec | None  # where the adopting editor said it would go
    kind: str  # its category's name, or ``content.EMERGENCY`` for an emergency report
    merit: float  # how good: decides what is forwarded and recognized
    carried_on: datetime.date | None = None  # first issue of a printed publication carrying it
    on_web: bool = False
    forwarding: Forwarding | None = None

    @property
    def decided(self) -> datetime.date:
        return self.decided_at.date()

    @property
    def carried_day(self) -> datetime.date:
        """The day it was first carried; asked only of carried items."""
        if self.carried_on is None:
            raise ValueError(f"item {self.item.pk} has not been carried")
        return self.carried_on

    @property
    def election(self) -> bool:
        return content.ELECTION_KEYWORD in self.item.keywords


@dataclass
class Published:
    spec: content.PublicationSpec
    day: datetime.date
    at: datetime.datetime
    entries: list[Adopted]


@dataclass
class PublishingSummary:
    """What the publishing part made."""

    publications: int = 0
    issues: int = 0
    forwardings: int = 0
    adoptions: int = 0
    instructions: int = 0


def weighted_sample(
    rng: random.Random, pool: list[Adopted], weights: list[float], k: int
) -> list[Adopted]:
    """Up to ``k`` distinct members of ``pool``, drawn with the given weights."""
    pool, weights = list(pool), list(weights)
    picked: list[Adopted] = []
    while pool and len(picked) < k:
        index = rng.choices(range(len(pool)), weights=weights)[0]
        picked.append(pool.pop(index))
        weights.pop(index)
    return picked
