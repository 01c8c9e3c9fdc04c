"""Benchmark: what one write costs in the request, split into the view and its after-commit work.

Runs in-process (Django's test client, no server): on the province of ``bench_lists.build`` (N
items; built once, reused), one county gets this year's rule set (``DEMO_RULES``, its ledger
rebuilt) and its dashboard cells built, as after a leader first opened them. Then, ``--repeat``
times: an officer creates an item through the API (``POST /api/v1/items``) and submits it
(``POST /items/<id>/move/``), and an editor adopts it. For each request it prints the CPU time
(``time.process_time``) and queries of the whole request and of the parts timed inside it:

- the ledger's and the dashboards' after-commit work (``scoring.signals`` / ``dashboard.signals``
  ``flush``: in the request before the refreshes moved to the task queue, only the enqueueing
  after);
- any other after-commit callback (notification deliveries, ...), by name;
- the search and near-duplicate indexing inside the transaction;
- with ``--worker``, the background tasks the round's three writes queued (``xinbao worker
  --batch``, in this process, timed the same way): the refreshes' cost moved out of the request,
  the three writes' work coalesced; with ``--worker-each`` after every request instead;
- on PostgreSQL, the CPU of the database backend serving the requests (``pg_backend``: whole
  10 ms clock ticks, so a median of a few ticks);
- with ``--profile DIR``, a cProfile (CPU clock) of each kind of request and of the worker,
  counted rounds only, one ``.prof`` file each;
- with ``--sql``, the SQL statements of each kind of request (and worker batch) of the last
  round, in the order they ran.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_refresh_bench \\
        .venv/bin/python bench/bench_refresh.py --items 100000 --repeat 5 --worker
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("XINBAO_DEBUG", "0")
os.environ.setdefault("XINBAO_API_RATE_PER_MINUTE", "100000")
os.environ.setdefault("XINBAO_SSL_REDIRECT", "0")  # the test client speaks plain HTTP
os.environ.setdefault("XINBAO_REFRESH_DELAY_SECONDS", "0")  # --worker runs each round's tasks

import bench_lists
import pg_backend
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.utils import timezone
from pg_backend import backend_cpu

Figures = dict[str, list[float]]


class Meter:
    """CPU seconds and queries, in total and per named part (parts may nest in the total only)."""

    def __init__(self) -> None:
        self.queries = 0
        self.parts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.statements: list[str] | None = None  # kept when ``--sql`` asks for them

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        if self.statements is not None:
            self.statements.append(sql)
        return execute(sql, params, many, context)

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        cpu, queries = time.process_time(), self.queries
        try:
            yield
        finally:
            self.parts[name][0] += time.process_time() - cpu
            self.parts[name][1] += self.queries - queries


METER = Meter()
STATEMENTS: dict[str, list[str]] = {}  # each request kind's (and the worker's) last statements


@contextmanager
def statements_of(name: str) -> Iterator[None]:
    """With ``--sql``, keep the statements run inside as ``name``'s (the last round wins)."""
    if METER.statements is None:
        yield
        return
    METER.statements = []
    try:
        yield
    finally:
        STATEMENTS[name] = METER.statements
        METER.statements = []


def timed(name: str, fn: Callable) -> Callable:
    def run(*args: Any, **kwargs: Any) -> Any:
        with METER.part(name):
            return fn(*args, **kwargs)

    run.__wrapped__ = fn  # type: ignore[attr-defined]
    return run


def instrument() -> None:
    """Time every after-commit callback by name, and the indexing done inside the transaction."""
    from xinbao.search import duplicates, index

    original = BaseDatabaseWrapper.on_commit

    def on_commit(self: Any, func: Callable, robust: bool = False) -> None:
        owner = getattr(func, "__self__", None)  # CommitNotes keeps its flush as ``_handler``
        name = getattr(func, "__module__", "") + "." + getattr(func, "__qualname__", repr(func))
        if owner is not None:
            name = type(owner).__module__ + "." + type(owner).__qualname__
        if hasattr(func, "func"):  # functools.partial
            name = func.func.__module__ + "." + func.func.__qualname__
        return original(self, timed("after commit: " + name, func), robust)

    BaseDatabaseWrapper.on_commit = on_commit  # type: ignore[method-assign]
    index.index_item = timed("in transaction: search index", index.index_item)
    index.scope_sync = timed("in transaction: search scope", index.scope_sync)
    duplicates.index_item = timed("in transaction: near-duplicates", duplicates.index_item)
    try:  # the background refresh's task (``scoring.pending``), when the worker runs it
        from xinbao.scoring import tasks
    except ImportError:
        return
    tasks.drain = timed("task: scoring.pending.drain", tasks.drain)


def seed(county_code: str) -> tuple[Any, Any, Any]:
    """The county's rule set for this year with its ledger, its dashboard cells, and the officer,
    editor the writes are made by."""
    from xinbao.dashboard.aggregates import ensure_built
    from xinbao.orgs.models import Role, Unit, User
    from xinbao.scoring import ledger
    from xinbao.scoring.models import RuleSet
    from xinbao.scoring.rules import DEMO_RULES

    county = Unit.objects.get(code=county_code)
    year = timezone.localdate().year
    if not RuleSet.objects.filter(department=county, year=year).exists():
        RuleSet.objects.create(department=county, year=year, name="基准", rules=DEMO_RULES)
        started = time.process_time()
        result = ledger.rebuild(county, year)
        print(
            f"ledger of {county.code} {year}: {result.entries} lines, "
            f"{time.process_time() - started:.1f} s CPU"
        )
    ensure_built(county.pk)
    officer = (
        User.objects.filter(role=Role.OFFICER, unit__department=county, unit__kind="township")
        .order_by("username")
        .first()
    )
    editor = User.objects.filter(role=Role.EDITOR, unit=county).order_by("username").first()
    assert officer is not None and editor is not None
    # The province's accounts must change their password first (every request would redirect).
    User.objects.filter(pk__in=[officer.pk, editor.pk]).update(must_change_password=False)
    officer.must_change_password = editor.must_change_password = False
    return county, officer, editor


PROFILES: dict[str, Any] = {}


@contextmanager
def profiled(name: str) -> Iterator[None]:
    """With ``--profile``, every request (or worker batch) of ``name`` into one cProfile."""
    if PROFILES.get("dir") is None or not PROFILES.get("counted"):
        yield
        return
    import cProfile

    profile = PROFILES.setdefault(name, cProfile.Profile(time.process_time))
    profile.enable()
    try:
        yield
    finally:
        profile.disable()


def backend() -> float:
    return backend_cpu(connection) or 0.0


def request(client: Client, name: str, figures: dict[str, Figures], send: Callable) -> Any:
    METER.parts.clear()
    pg = backend()
    cpu, queries, wall = time.process_time(), METER.queries, time.perf_counter()
    with profiled(name), statements_of(name):
        answer = send(client)
    total = {"whole request": [time.process_time() - cpu, METER.queries - queries]}
    total["whole request, wall clock (not CPU)"] = [time.perf_counter() - wall, 0]
    total["PostgreSQL backend (10 ms ticks)"] = [backend() - pg, 0]
    assert answer.status_code < 400, (name, answer.status_code, answer.content[:300])
    for part, (part_cpu, part_queries) in {**total, **METER.parts}.items():
        figures[name].setdefault(part + " cpu", []).append(part_cpu)
        figures[name].setdefault(part + " queries", []).append(part_queries)
    return answer


def run_worker(figures: dict[str, Figures]) -> None:
    """Every task queued so far, in this process (``xinbao worker --batch``), timed per task."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    started = timezone.now()
    METER.parts.clear()
    pg = backend()
    cpu, queries = time.process_time(), METER.queries
    with profiled("worker"), statements_of("worker"):
        call_command("worker", batch=True, verbosity=0)
    figures["worker"].setdefault("PostgreSQL backend (10 ms ticks) cpu", []).append(backend() - pg)
    ran = DBTaskResult.objects.filter(finished_at__gte=started).count()
    figures["worker"].setdefault("tasks run", []).append(ran)
    figures["worker"].setdefault("whole batch cpu", []).append(time.process_time() - cpu)
    figures["worker"].setdefault("whole batch queries", []).append(METER.queries - queries)
    for part, (part_cpu, part_queries) in METER.parts.items():
        figures["worker"].setdefault(part + " cpu", []).append(part_cpu)
        figures["worker"].setdefault(part + " queries", []).append(part_queries)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--county", default="C000")
    parser.add_argument("--worker", action="store_true", help="run the queued tasks each round")
    parser.add_argument(
        "--worker-each", action="store_true", help="run them after each request (no coalescing)"
    )
    parser.add_argument("--profile", help="write cProfile stats per request kind into this dir")
    parser.add_argument("--sql", action="store_true", help="print each request's SQL statements")
    args = parser.parse_args()
    PROFILES["dir"] = args.profile
    from django.test.utils import setup_test_environment

    from xinbao.api.services import token_create

    pg_backend.migrate()
    bench_lists.build(args.items)
    county, officer, editor = seed(args.county)
    setup_test_environment()  # the test client's responses; mail to memory
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    backend = settings.TASKS["default"]["BACKEND"]
    print(f"{connection.vendor}, {args.items} items, county {county.code}, tasks: {backend}")
    instrument()
    if args.sql:
        METER.statements = []
    _token, secret = token_create(user=officer, name="bench")
    officer_client, editor_client = Client(), Client()
    officer_client.force_login(officer)
    editor_client.force_login(editor)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    figures: dict[str, Figures] = defaultdict(dict)
    with connection.execute_wrapper(METER):
        for n in range(args.repeat + 1):  # the first round warms up and is not counted
            round_figures: dict[str, Figures] = defaultdict(dict)
            PROFILES["counted"] = n > 0
            answer = request(
                officer_client,
                "create (API)",
                round_figures,
                lambda c, n=n: c.post(
                    "/api/v1/items",
                    {
                        "title": f"某镇探索党员积分管理新办法{time.time_ns()}",
                        "body": "今年以来,该镇把党员积分管理作为加强党员教育管理的重要抓手。\n"
                        "一是明确积分标准。二是强化结果运用。",
                        "category": "经验做法",
                    },
                    content_type="application/json",
                    **auth,
                ),
            )
            if args.worker_each:
                run_worker(round_figures)
            item_id = answer.json()["id"]
            for client, action in ((officer_client, "submit"), (editor_client, "adopt")):
                request(
                    client,
                    action,
                    round_figures,
                    lambda c, a=action, pk=item_id: c.post(f"/items/{pk}/move/", {"action": a}),
                )
                if args.worker_each:
                    run_worker(round_figures)
            if args.worker:
                run_worker(round_figures)
            if n:
                for name, parts in round_figures.items():
                    for part, values in parts.items():
                        figures[name].setdefault(part, []).extend(values)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        for name, profile in PROFILES.items():
            if name not in ("dir", "counted"):
                profile.dump_stats(Path(args.profile) / (name.split()[0] + ".prof"))
    for name, parts in figures.items():
        print(f"\n== {name} (median of {args.repeat}; CPU ms, queries)")
        names = {p.rsplit(" ", 1)[0] for p in parts if p != "tasks run"}
        seen = sorted(names, key=lambda p: (not p.startswith("whole"), p))
        for part in seen:
            cpu = statistics.median(parts.get(part + " cpu", [0])) * 1000
            queries = statistics.median(parts.get(part + " queries", [0]))
            print(f"  {part:<70}{cpu:>8.1f} ms{queries:>6.0f} q")
        if "tasks run" in parts:
            print(f"  tasks run per round: {statistics.median(parts['tasks run']):.0f}")
        for number, sql in enumerate(STATEMENTS.get(name, []), 1):
            print(f"  {number:>3}. {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
