"""Benchmark: the department dashboard for a province-scale year.

Builds (bulk inserts, into the database named by DATABASE_URL, default an SQLite file under
/tmp) one organization department with ``--units`` reporting units and ``--items`` items
submitted over the year, with their workflow events, timeliness rows, upper-level adoptions and
ledger lines (and their monthly tallies); then

1. builds the department's stored per-unit, per-month cells from all those facts
   (``dashboard.aggregates.department_build``, what ``xinbao dashboard_rebuild`` or the very
   first dashboard of a department does once) and prints the time;
2. requests the dashboard page as the department's editor through Django's test client: the
   first load (empty cache: the figures computed from the stored cells, as after any fact
   change) and warm loads (cached), and prints the times;
3. changes one fact through the ORM (an item's category) with its signals, as the app does, and
   prints the time of the incremental refresh of that unit's cells after commit.

The acceptance target is a load under 300 ms at full size after the first load:

    .venv/bin/python bench/bench_dashboard.py --fresh --units 3000 --items 300000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_bench_dash \\
        .venv/bin/python bench/bench_dashboard.py --units 3000 --items 300000

The SQLite database is ``/tmp/xinbao_dash_bench.sqlite3`` unless ``DATABASE_URL`` names another
(use your own file or database name on a shared machine); a database that already holds the
benchmark's data is reused. ``--fresh`` deletes the database file first (SQLite only; drop a
PostgreSQL database yourself).
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/xinbao_dash_bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")
os.environ.setdefault("XINBAO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django

if "--fresh" in sys.argv and os.environ["DATABASE_URL"].startswith("sqlite:///"):
    Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).unlink(missing_ok=True)

django.setup()

import pg_backend
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone

from xinbao.dashboard.aggregates import department_build, units_refresh
from xinbao.dashboard.cache import bump
from xinbao.dashboard.models import UnitMonth
from xinbao.items.models import Category, Item, ItemEvent, State
from xinbao.orgs.models import Role, Unit, User
from xinbao.orgs.services import derive_tree_fields
from xinbao.publishing.models import ExternalAdoption
from xinbao.scoring.ledger import retally
from xinbao.scoring.models import FactType, ScoreEntry, ScoreTally
from xinbao.topics.models import Timeliness

YEAR = 2026
BATCH = 2000


def build(n_units: int, n_items: int) -> User:
    editor = User.objects.filter(username="bench_editor").first()
    if editor is not None:
        User.objects.filter(pk=editor.pk).update(
            must_change_password=False, password_changed_at=timezone.now()
        )
        print(f"reusing {Item.objects.count()} items already in the database")
        return editor
    rng = random.Random(7)
    started = time.perf_counter()
    with transaction.atomic():
        dept = Unit(code="PROV", name="省委组织部", kind="org_dept", level="province")
        derive_tree_fields(dept)
        dept.save()
        kinds = ["township", "department", "other"]
        units = []
        for u in range(n_units):
            unit = Unit(code=f"B{u:05d}", name=f"单位{u}", kind=kinds[u % 3], parent=dept)
            derive_tree_fields(unit)
            units.append(unit)
        Unit.objects.bulk_create(units, batch_size=BATCH)
        units = list(Unit.objects.filter(department=dept).order_by("pk"))
        officers = User.objects.bulk_create(
            [
                User(username=f"bo{u.code}", role=Role.OFFICER, unit=u, officer_rank="primary")
                for u in units
            ],
            batch_size=BATCH,
        )
        editor = User.objects.create(
            username="bench_editor",
            role=Role.EDITOR,
            unit=dept,
            must_change_password=False,
            password_changed_at=timezone.now(),
        )
        officer_of = {o.unit_id: o for o in officers}
        categories = list(Category.objects.all())
        start = timezone.make_aware(datetime.datetime(YEAR, 1, 1, 8))
        # A tenth of the units stay silent all year.
        active = [u for i, u in enumerate(units) if i % 10]
        for offset in range(0, n_items, BATCH):
            rows = []
            for _i in range(min(BATCH, n_items - offset)):
                unit = rng.choice(active)
                submitted = start + datetime.timedelta(minutes=rng.randrange(0, 364 * 24 * 60))
                rows.append(
                    Item(
                        unit=unit,
                        department=dept,
                        created_by=officer_of[unit.pk],
                        title="基层党建工作动态",
                        body="今年以来,某单位坚持把党员教育作为基础工程。",
                        category=rng.choice(categories),
                        state=State.ADOPTED if rng.random() < 0.3 else State.SUBMITTED,
                        event_date=(submitted - datetime.timedelta(days=rng.randrange(3))).date(),
                        submitted_at=submitted,
                    )
                )
            items = Item.objects.bulk_create(rows)
            events, records, externals, ledger = [], [], [], []
            for item in items:
                assert item.submitted_at is not None
                waited = datetime.timedelta(hours=rng.randrange(1, 96))
                acted = item.submitted_at + waited
                adopted = item.state == State.ADOPTED
                action = "adopt" if adopted else ("return" if rng.random() < 0.2 else "")
                events.append(
                    ItemEvent(
                        item=item,
                        action="submit",
                        from_state=State.DRAFT,
                        to_state=State.SUBMITTED,
                        actor_id=item.created_by_id,
                    )
                )
                if action:
                    events.append(
                        ItemEvent(
                            item=item,
                            action=action,
                            from_state=State.SUBMITTED,
                            to_state=State.ADOPTED if adopted else State.RETURNED,
                            actor=editor,
                        )
                    )
                event_at = timezone.make_aware(
                    datetime.datetime.combine(item.event_date, datetime.time.min)  # type: ignore[arg-type]
                )
                records.append(
                    Timeliness(
                        item=item,
                        event_at=event_at,
                        submitted_at=item.submitted_at,
                        first_action=action,
                        first_action_at=acted if action else None,
                        adopted_at=acted if adopted else None,
                        to_submit=item.submitted_at - event_at,
                        to_first_action=waited if action else None,
                    )
                )
                if adopted and rng.random() < 0.1:
                    level = rng.choice(["city", "city", "province", "central"])
                    externals.append(
                        ExternalAdoption(
                            item=item,
                            level=level,
                            outlet="上级刊物",
                            adopted_on=acted.date(),
                            recorded_by=editor,
                        )
                    )
                if adopted:
                    ledger.append(
                        ScoreEntry(
                            department=dept,
                            year=YEAR,
                            unit_id=item.unit_id,
                            item=item,
                            fact_type=FactType.ADOPTION,
                            fact_id=f"bench:{item.pk}",
                            fact_date=min(acted.date(), datetime.date(YEAR, 12, 31)),
                            level="county",
                            points=Decimal(2),
                            reason="采用",
                            rule="adoption.periodical.county",
                            computed_at=timezone.now(),
                        )
                    )
            ItemEvent.objects.bulk_create(events, batch_size=BATCH)
            Timeliness.objects.bulk_create(records, batch_size=BATCH)
            ExternalAdoption.objects.bulk_create(externals, batch_size=BATCH)
            ScoreEntry.objects.bulk_create(ledger, batch_size=BATCH)
            print(f"\r{offset + len(items)} / {n_items} items", end="", flush=True)
    print(f"\nbuilt in {time.perf_counter() - started:.1f} s")
    return editor


def timed(client: Client, url: str) -> tuple[float, float]:
    """(wall-clock ms, CPU ms of this process — SQLite runs in it — for one request). On a
    shared machine the wall clock includes waiting for a core; the CPU time does not."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    used = (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed, used


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--items", type=int, default=30000)
    parser.add_argument("--warm", type=int, default=5, help="warm loads to time")
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    args = parser.parse_args()
    logging.getLogger("xinbao.request").setLevel(logging.WARNING)  # one line per request
    pg_backend.migrate()
    editor = build(args.units, args.items)
    client = Client()
    client.force_login(editor)
    print(
        f"database: {os.environ['DATABASE_URL']}; {Item.objects.count()} items, "
        f"{Unit.objects.filter(department=editor.unit).count()} units"
    )
    dept = editor.unit
    assert dept is not None
    if not ScoreTally.objects.filter(department=dept).exists():
        started = time.perf_counter()
        retally(dept, YEAR)  # what the ledger does when it writes its rows
        print(f"ledger tallies written in {time.perf_counter() - started:.1f} s")
    started, cpu = time.perf_counter(), time.process_time()
    rows = department_build(dept.pk)
    print(
        f"monthly cells built in {time.perf_counter() - started:.1f} s "
        f"(CPU {time.process_time() - cpu:.1f} s): {rows} rows"
    )
    # The process's first request loads templates, translations and URL patterns: not the
    # dashboard's cost. An empty year's dashboard takes that first.
    startup, _cpu = timed(client, "/dashboard/?period=year&year=2000")
    print(f"process warm-up (empty year 2000): {startup:.0f} ms")
    for label, url in [
        ("year", f"/dashboard/?period=year&year={YEAR}"),
        ("month", f"/dashboard/?period=month&month={YEAR}-10"),
        ("townships, year", f"/dashboard/?period=year&year={YEAR}&kind=township"),
    ]:
        cache.clear()
        bump()
        first, first_cpu = timed(client, url)
        warm = [timed(client, url) for _ in range(args.warm)]
        wall = statistics.median(w for w, _c in warm)
        cpu = statistics.median(c for _w, c in warm)
        print(
            f"{label:>16}: first load {first:7.0f} ms (CPU {first_cpu:6.0f} ms); "
            f"warm median {wall:6.1f} ms (CPU {cpu:5.1f} ms), max {max(w for w, _c in warm):6.1f}"
        )
    item = Item.objects.filter(department=dept, submitted_at__month=10).order_by("pk").first()
    assert item is not None
    other = Category.objects.exclude(pk=item.category_id).order_by("pk").first()
    started = time.perf_counter()
    with transaction.atomic():
        item.category = other
        item.save(update_fields=["category"])  # signals note the change; refresh on commit
    refreshed = time.perf_counter() - started
    cells = UnitMonth.objects.filter(department=dept, unit_id=item.unit_id).count()
    started = time.perf_counter()
    units_refresh(dept.pk, [item.unit_id])
    alone = time.perf_counter() - started
    print(
        f"one fact changed: saved and committed in {refreshed * 1000:.0f} ms with every app's "
        f"signals (ledger, search, dashboard); the unit's {cells} monthly cells alone are "
        f"rewritten in {alone * 1000:.0f} ms"
    )
    url = f"/dashboard/?period=year&year={YEAR}"
    first, first_cpu = timed(client, url)
    warm = [timed(client, url) for _ in range(args.warm)]
    print(
        f"{'year, after it':>16}: first load {first:7.0f} ms (CPU {first_cpu:6.0f} ms); "
        f"warm median {statistics.median(w for w, _c in warm):6.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
