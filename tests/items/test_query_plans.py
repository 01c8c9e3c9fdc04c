"""The main list queries are answered from indexes, never by scanning the items table.

At test sizes a planner happily scans a tiny table, so the check asks whether an index *can*
answer: on PostgreSQL with sequential scans disabled for the statement, on SQLite from the
plan as it is (SQLite chooses by the shape of the query, not by table size, without ANALYZE).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet

from tests.conftest import County
from tests.factories import make_item
from xinbao.items import queries
from xinbao.items.models import Item, State
from xinbao.items.workflow import INBOX_OPEN
from xinbao.orgs.models import User


def plan_lines(qs: QuerySet[Item]) -> list[str]:
    sql, params = qs[:20].query.sql_with_params()
    return statement_plan(sql, params)


def statement_plan(sql: str, params: Sequence[Any] | None = None) -> list[str]:
    """The plan of ``sql``, sequential scans off on PostgreSQL, a line per node (no
    ``params``: a statement as executed, its values in it)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [str(row[-1]) for row in cursor.fetchall()]


def scans_items_table(lines: list[str]) -> bool:
    for line in lines:
        if connection.vendor == "postgresql" and "Seq Scan on items_item" in line:
            return True
        # SQLite: "SCAN items_item" is a full scan; "SCAN items_item USING INDEX x" walks an
        # index in order (fine when the filter is on the index's leading columns), "SEARCH" seeks.
        if (
            connection.vendor == "sqlite"
            and line.startswith("SCAN items_item")
            and "USING" not in line
        ):
            return True
    return False


MAIN_QUERIES: dict[str, Callable[[County], QuerySet[Item]]] = {
    "editor inbox": lambda c: queries.inbox(c.editor, queries.ItemFilter()),
    "editor inbox, urgent only": lambda c: queries.inbox(
        c.editor, queries.ItemFilter(urgent_only=True)
    ),
    "officer list": lambda c: queries.unit_items(c.officer_a),
    "sign-off queue": lambda c: queries.signoff_queue(c.leader_b),
}


@pytest.mark.parametrize("name", sorted(MAIN_QUERIES))
def test_main_list_queries_do_not_scan_the_items_table(county: County, name: str) -> None:
    officer: User
    for officer in (county.officer_a, county.officer_b, county.other_officer):
        make_item(officer=officer)
    lines = plan_lines(MAIN_QUERIES[name](county))
    assert lines, "no plan came back"
    assert not scans_items_table(lines), "\n".join(lines)


def test_the_plan_check_sees_a_scan_when_there_is_one(county: County) -> None:
    make_item(officer=county.officer_a)
    assert scans_items_table(plan_lines(Item.objects.filter(title__contains="党建")))


def items_table_scans(qs: QuerySet[Item]) -> list[str]:
    """PostgreSQL: every node that reads ``items_item`` other than by an index condition (a
    sequential scan, or an index walked end to end with a filter), from the JSON plan."""
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Relation Name") == "items_item":
            kind = node["Node Type"]
            if kind == "Seq Scan" or (
                kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node
            ):
                found.append(f"{kind} {node.get('Index Name', '')} {node.get('Filter', '')}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


EDITOR_SETS: dict[str, Callable[[User], QuerySet[Item]]] = {
    "visible set, no order": lambda u: queries.items_visible_to(u),
    "visible set, by title": lambda u: queries.items_visible_to(u).order_by("title"),
    "visible set, newest first": lambda u: queries.items_visible_to(u).order_by("-id")[:20],
    "visible set, count": lambda u: queries.items_visible_to(u).values("state"),
}


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize("name", sorted(EDITOR_SETS))
def test_editor_visible_items_are_found_by_index_not_by_scan(county: County, name: str) -> None:
    """The editor's scope (submitted to the department, or forwarded to it) is located by
    indexes whatever the ordering, not by filtering every row of the items table."""
    for officer in (county.officer_a, county.officer_b, county.other_officer):
        make_item(officer=officer)
    for who in (county.editor, county.dept_leader):
        assert items_table_scans(EDITOR_SETS[name](who)) == []


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_strict_plan_check_sees_a_full_index_walk(county: County) -> None:
    make_item(officer=county.officer_a)
    assert items_table_scans(Item.objects.filter(title__contains="党建").order_by("-id"))


def test_the_inbox_reads_each_part_of_the_visibility_once_narrowed_to_its_states(
    county: County,
) -> None:
    """The open states (or the state asked for) go inside each part of the editor's visibility,
    the department's and the forwarded items', and the page's rows come straight from the
    union of the parts. Applied after the union (``id IN (…)``), the states made the database
    read every visible item of the county to test it, and the join back read every open item
    a second time by its id (1,000,000 items: 7,742 visible, 3,362 open; the inbox's count
    412 ms, then 17 with the states inside, 8 as a union)."""
    make_item(officer=county.officer_a)
    open_states = ", ".join(str(state) for state in INBOX_OPEN)
    for f, condition in (
        (queries.ItemFilter(), f"IN ({open_states})"),
        (queries.ItemFilter(state=State.RETURNED), f"= {State.RETURNED}"),
    ):
        arms = str(queries.inbox(county.editor, f).query).split(" UNION ")
        assert '"id" IN (SELECT' not in arms[0], arms[0]
        assert len(arms) == 2 and "publishing_forwarding" in arms[1]
        for arm in arms:
            assert f'"state" {condition}' in arm, arm
