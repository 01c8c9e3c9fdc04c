"""The quality indicators read from other apps' facts, one aggregate query each over the period's
cohort (a queryset of items), so the dashboards' query counts stay constant.

Each returns ``{unit_id: value}``; a unit missing from the result shows "—" (not available),
never 0.

- ``reference_adoptions``: cohort items the editor marked 参阅类 (``scoring.ItemReview.kind``);
  every unit of the cohort is present (0 when none);
- ``rubric_averages``: the average rubric score (``scoring.ItemReview.score``) of the cohort's
  reviewed items; units with no reviewed item are absent ("—");
- ``flagged_duplicates``: cohort items flagged 高度相似 by the near-duplicate index
  (``search.SimilarPair.flagged``); every unit of the cohort is present.
"""

from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet

from xinbao.items.models import Item
from xinbao.scoring.models import ItemReview


def reference_adoptions(cohort: QuerySet[Item]) -> dict[int, int]:
    rows = (
        cohort.order_by()
        .values("unit_id")
        .annotate(n=Count("id", filter=Q(score_review__kind=ItemReview.Kind.REFERENCE)))
    )
    return {row["unit_id"]: row["n"] for row in rows}


def rubric_averages(cohort: QuerySet[Item]) -> dict[int, float]:
    rows = (
        cohort.filter(score_review__score__isnull=False)
        .order_by()
        .values("unit_id")
        .annotate(avg=Avg("score_review__score"))
    )
    return {row["unit_id"]: float(row["avg"]) for row in rows}


def flagged_duplicates(cohort: QuerySet[Item]) -> dict[int, int]:
    rows = (
        cohort.order_by()
        .values("unit_id")
        .annotate(n=Count("id", filter=Q(similar_pairs__flagged=True), distinct=True))
    )
    return {row["unit_id"]: row["n"] for row in rows}
