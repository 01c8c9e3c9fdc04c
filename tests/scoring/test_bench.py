"""The ranking benchmark at a small scale (``bench/bench_ranking.py``; full size on request):
it builds its data, and every timed ranking returns rows and agrees with the ledger."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from django.db.models import Sum

from xinbao.scoring.models import ScoreEntry
from xinbao.scoring.periods import year_period
from xinbao.scoring.ranking import unit_ranking

pytestmark = pytest.mark.django_db


def bench_module() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_ranking.py"
    spec = importlib.util.spec_from_file_location("bench_ranking", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ranking_benchmark_runs_at_a_small_scale() -> None:
    bench = bench_module()
    dept = bench.build(30, 300, 1500, quiet=True)
    results = bench.measure(dept, repeat=1, quiet=True)
    assert set(results) >= {"units, year", "units, 2026-Q3", "officers, year"}
    assert all(ms < 5000 for ms in results.values())
    ranking = unit_ranking(dept, year_period(bench.YEAR))
    ledger_total = ScoreEntry.objects.filter(department=dept).aggregate(t=Sum("points"))["t"]
    assert sum((r.points for r in ranking.overall), Decimal(0)) == ledger_total
    assert sum(r.submitted for r in ranking.overall) == 300
