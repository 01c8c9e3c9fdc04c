"""Hooks for the quality indicators whose facts other apps are still building.

Each hook takes the period's cohort (a queryset of items) and returns ``{unit_id: value}`` for
the units it knows about; a unit missing from the result shows "—" (not available), never 0.

- ``reference_adoptions``: cohort items adopted as 参阅类 (the scoring engineer is adding the
  field that marks an adoption as 参阅类);
- ``rubric_averages``: the average rubric score (评分) of the cohort's items (same);
- ``flagged_duplicates``: cohort items flagged as near-duplicates (the search app's MinHash
  near-duplicate detection, being built).

Until the field or the detector exists each returns ``{}``. When it exists, replace the body with
one aggregate query over ``cohort`` (``values("unit_id").annotate(...)``) — one query, whatever
the number of units, so the dashboards' query counts stay constant.
"""

from __future__ import annotations

from django.db.models import QuerySet

from xinbao.items.models import Item


def reference_adoptions(cohort: QuerySet[Item]) -> dict[int, int]:
    return {}


def rubric_averages(cohort: QuerySet[Item]) -> dict[int, float]:
    return {}


def flagged_duplicates(cohort: QuerySet[Item]) -> dict[int, int]:
    return {}
