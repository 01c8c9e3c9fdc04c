"""Benchmark: the main list pages' queries at province scale.

Builds (once, into the database named by DATABASE_URL, default an SQLite file under /tmp) a
province-sized tree (``build_tree``, which the search and near-duplicate benchmarks use as well)
and N items with bulk inserts, then times the queries behind the editor's
inbox, the officer's list and the sign-off queue (first page, 20 rows, with the page count) and
prints each query's plan, so a missing index shows up as a scan.

    .venv/bin/python bench/bench_lists.py --items 300000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_bench \
        .venv/bin/python bench/bench_lists.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/xinbao_bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")

import django

django.setup()

import pg_backend
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.utils import timezone

from xinbao.items import queries
from xinbao.items.models import Category, Item, State
from xinbao.orgs.demo import content
from xinbao.orgs.models import Role, Unit, User
from xinbao.orgs.services import derive_tree_fields

COUNTIES, UNITS_PER_COUNTY = 100, 30
# The province of issue 9: 3,000 units and 10,000 officers (each unit's primary officer
# ``o<unit code>`` and, round the units, regular ones ``o<unit code>-<n>``).
OFFICERS = 10_000
STATES = [s.value for s in State]


@dataclass(frozen=True)
class UnitSpec:
    """A unit under each county: its code suffix, names and kind (township or department)."""

    code: str
    name: str
    short_name: str = ""
    kind: str = Unit.Kind.TOWNSHIP


@dataclass
class Tree:
    """What ``build_tree`` created."""

    top: Unit
    counties: list[Unit]
    units: list[Unit]  # in creation order: county by county, spec by spec
    officer_by_unit: dict[int, User]

    def units_of(self, county: Unit) -> list[Unit]:
        return [unit for unit in self.units if unit.parent_id == county.pk]


def demo_county_specs() -> list[UnitSpec]:
    """The demo county's 22 townships and 18 departments (``xinbao.orgs.demo``)."""
    return [
        UnitSpec(
            f"-{spec.code}",
            spec.name,
            spec.short_name,
            Unit.Kind.TOWNSHIP if spec.is_township else Unit.Kind.DEPARTMENT,
        )
        for spec in content.TOWNSHIPS + content.DEPARTMENTS
    ]


def build_tree(
    *,
    top: tuple[str, str, str],
    counties: int,
    specs: Sequence[UnitSpec],
    county_code: str = "C{:02d}",
) -> Tree:
    """The org tree every benchmark builds, with bulk inserts: one organization department
    ``top`` (code, name, level: "province" or "city"), ``counties`` county departments under it,
    and under each county one unit per spec (code ``<county>-<spec>`` or ``<county><spec>``),
    each with one primary officer (``o<unit code>``); one editor per county (``e<county>``).
    Call inside a transaction."""
    code, name, level = top
    root = Unit(code=code, name=name, kind="org_dept", level=level)
    derive_tree_fields(root)
    root.save()
    made = []
    for c in range(counties):
        county = Unit(
            code=county_code.format(c),
            name=f"县委组织部{c}",
            kind="org_dept",
            level="county",
            parent=root,
        )
        derive_tree_fields(county)
        made.append(county)
    Unit.objects.bulk_create(made)
    units = []
    for county in made:
        for spec in specs:
            unit = Unit(
                code=f"{county.code}{spec.code}",
                name=spec.name,
                short_name=spec.short_name,
                kind=spec.kind,
                parent=county,
            )
            derive_tree_fields(unit)
            units.append(unit)
    Unit.objects.bulk_create(units, batch_size=1000)
    User.objects.bulk_create(
        [
            User(username=f"o{u.code}", role=Role.OFFICER, unit=u, officer_rank="primary")
            for u in units
        ],
        batch_size=1000,
    )
    User.objects.bulk_create(
        [User(username=f"e{county.code}", role=Role.EDITOR, unit=county) for county in made]
    )
    officers = {o.unit_id: o for o in User.objects.filter(role=Role.OFFICER)}
    return Tree(root, made, units, officers)


def build(n_items: int) -> None:
    if Item.objects.exists():
        print(f"reusing {Item.objects.count()} items already in the database")
        return
    rng = random.Random(7)
    with transaction.atomic():
        tree = build_tree(
            top=("P", "省委组织部", "province"),
            counties=COUNTIES,
            specs=[UnitSpec(f"U{u:02d}", f"单位{u}") for u in range(UNITS_PER_COUNTY)],
            county_code="C{:03d}",
        )
        units = tree.units
        leaders = [User(username=f"l{u.code}", role=Role.UNIT_LEADER, unit=u) for u in units[:50]]
        User.objects.bulk_create(leaders)
        more = [
            User(
                username=f"o{units[k % len(units)].code}-{2 + k // len(units)}",
                role=Role.OFFICER,
                unit=units[k % len(units)],
                officer_rank="regular",
            )
            for k in range(max(0, OFFICERS - len(units)))
        ]
        User.objects.bulk_create(more, batch_size=1000)
        officers_of: dict[int, list[User]] = {}
        for officer in User.objects.filter(role=Role.OFFICER).order_by("pk"):
            officers_of.setdefault(officer.unit_id, []).append(officer)
        categories = list(Category.objects.all())
        now = timezone.now()
        batch: list[Item] = []
        unit_list = list(Unit.objects.filter(kind="township"))
        for i in range(n_items):
            unit = rng.choice(unit_list)
            state = rng.choice(STATES)
            submitted = now - timedelta(minutes=rng.randrange(0, 525600))
            batch.append(
                Item(
                    unit=unit,
                    department_id=unit.department_id,
                    created_by=rng.choice(officers_of[unit.pk]),
                    title=f"信息标题{i}",
                    body="正文。" * 50,
                    category=rng.choice(categories),
                    urgency=rng.choice([0] * 18 + [1, 2]),
                    state=state,
                    submitted_at=None if state in ("draft", "pending_signoff") else submitted,
                )
            )
            if len(batch) == 5000:
                Item.objects.bulk_create(batch)
                batch.clear()
        Item.objects.bulk_create(batch)
    n_officers = sum(len(officers) for officers in officers_of.values())
    print(f"built {COUNTIES} counties, {len(units)} units, {n_officers} officers, {n_items} items")


def timed(label: str, fn: Callable[[], Any], repeat: int = 15) -> None:
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    print(f"{label:<34} median {statistics.median(samples):7.2f} ms   max {max(samples):7.2f} ms")


def first_page(qs: Any) -> Callable[[], Any]:
    def run() -> Any:
        page = Paginator(qs, 20).get_page(1)
        return len(list(page)), page.paginator.count

    return run


def plan(label: str, qs: Any) -> None:
    print(f"--- plan: {label}")
    sql, params = qs[:20].query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        for row in cursor.fetchall():
            print("   ", row[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=300_000)
    args = parser.parse_args()
    pg_backend.migrate()
    build(args.items)
    editor = User.objects.filter(role=Role.EDITOR).first()
    officer = User.objects.filter(role=Role.OFFICER).first()
    leader = User.objects.filter(role=Role.UNIT_LEADER).first()
    assert editor and officer and leader
    total = Item.objects.count()
    print(f"{connection.vendor}: {total} items; per county ~{total // COUNTIES}")
    inbox = queries.inbox(editor, queries.ItemFilter())
    urgent = queries.inbox(editor, queries.ItemFilter(urgent_only=True))
    unit_list = queries.unit_items(officer)
    signoff = queries.signoff_queue(leader)
    timed("editor inbox, page 1 + count", first_page(inbox))
    timed("editor inbox urgent only", first_page(urgent))
    timed("officer list, page 1 + count", first_page(unit_list))
    timed("sign-off queue, page 1 + count", first_page(signoff))
    timed("item detail (access_item)", lambda: queries.access_item(officer, unit_list[0].pk))
    for label, qs in (("inbox", inbox), ("officer list", unit_list), ("sign-off", signoff)):
        plan(label, qs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
