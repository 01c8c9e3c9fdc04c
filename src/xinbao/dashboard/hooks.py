"""The quality indicators read from other apps' facts, one aggregate query each over a cohort
(a queryset of items annotated with ``m``, the index of their month), so the dashboards' query
counts stay constant.

Each returns ``{(unit_id, m): value}``; a unit missing from every month shows "—" (not
available), never 0.

- ``reference_adoptions``: cohort items the editor marked 参阅类 (``scoring.ItemReview.kind``);
  every unit of the cohort is present (0 when none);
- ``rubric_sums``: the sum and number of the rubric scores (``scoring.ItemReview.score``) of
  the cohort's reviewed items (their average is the sum over the number); months with no
  reviewed item are absent;
- ``flagged_duplicates``: cohort items flagged 高度相似 by the near-duplicate index
  (``search.SimilarPair.flagged``); every unit of the cohort is present.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from xinbao.items.models import Item
from xinbao.scoring.models import ItemReview

Key = tuple[int, int]
GROUP = ("unit_id", "m")  # ``m``: the month annotation of the cohort


def reference_adoptions(cohort: QuerySet[Item]) -> dict[Key, int]:
    rows = (
        cohort.order_by()
        .values(*GROUP)
        .annotate(n=Count("id", filter=Q(score_review__kind=ItemReview.Kind.REFERENCE)))
    )
    return {(row["unit_id"], row["m"]): row["n"] for row in rows}


def rubric_sums(cohort: QuerySet[Item]) -> dict[Key, tuple[float, int]]:
    rows = (
        cohort.filter(score_review__score__isnull=False)
        .order_by()
        .values(*GROUP)
        .annotate(total=Sum("score_review__score"), n=Count("score_review__score"))
    )
    return {(row["unit_id"], row["m"]): (float(row["total"]), row["n"]) for row in rows}


def flagged_duplicates(cohort: QuerySet[Item]) -> dict[Key, int]:
    rows = (
        cohort.order_by()
        .values(*GROUP)
        .annotate(n=Count("id", filter=Q(similar_pairs__flagged=True), distinct=True))
    )
    return {(row["unit_id"], row["m"]): row["n"] for row in rows}
