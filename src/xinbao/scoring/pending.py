"""The ledger's and the dashboards' refresh, out of the request: noted after commit, run by a task.

A write's after-commit handler (``flush_noted``, for ``scoring.signals`` and
``dashboard.signals`` alike) resolves what changed to units and calls ``note``: one upsert of
``PendingRefresh`` rows (department, kind, year, unit) and, per department, one task
(``scoring.tasks.refresh_department``) unless one is already waiting. The task (``drain``)
recomputes what the rows name from the facts as they are when it runs
(``ledger.refresh``/``rebuild``, ``aggregates.units_refresh``), deletes the rows it did, then
makes the department's cached figures stale (``dashboard.cache.bump``) and renders the
department page someone is watching again (``dashboard.pages.warm``).

Why it is correct with several app servers and workers (no state in memory):

- Coalescing. A second write to the same unit before the task runs only renews the row's
  ``mark``; a department has one waiting task at most: ``note`` queues a task only when it
  creates the department's ``queued`` marker row, and the task deletes the marker *before* it
  reads the rows, so a write noted after that queues a new task.
- Nothing lost. The rows are written after the facts' commit; the task deletes a row only with
  the ``mark`` it read, so a row renewed while the task ran (facts it may not have seen) stays
  for the next task.
- One refresher per department at a time: the task holds the department's ``Unit`` row
  (``FOR NO KEY UPDATE``, which does not block inserts that refer to it) while it rewrites;
  running twice, or late, only recomputes the same figures.
- A failed task rolls back: its rows stay. ``requeue_stale`` (the ``schedule`` job
  ``refresh_pending``) queues a task again for work noted more than ``STALE_AFTER`` ago (a
  row's ``noted_at`` is when its work was first noted: later writes do not push it back); a
  backend that is down when ``note`` queues is logged, and the next write or that job tries
  again. The writer's commit is never touched.

Under the immediate task backend (the tests, or a deployment without a worker) the task runs in
``note``, so the figures are current when the request returns, as before.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Field
from django.utils import timezone

from xinbao.scoring.models import PendingRefresh

if TYPE_CHECKING:
    from django_tasks.base import Task

logger = logging.getLogger(__name__)
Kind = PendingRefresh.Kind
Row = tuple[str, int, int, int]  # kind, department id, year (0: none), unit id (0: all / none)
STALE_AFTER = datetime.timedelta(minutes=3)


def flush_noted() -> None:
    """The one after-commit handler of the ledger's and the dashboards' notes
    (``scoring.signals``, ``dashboard.signals``): both resolved, then noted together (one
    upsert and one look for the department's task, however many watchers noted something); a
    dashboard change of no known department bumps every cache now."""
    from xinbao.dashboard import signals as dashboard_signals
    from xinbao.dashboard.cache import bump
    from xinbao.scoring import signals as scoring_signals

    rows = scoring_signals.noted_rows()
    cells, everyone = dashboard_signals.noted_rows()
    if everyone:  # first: a refresh run at once (the immediate backend) renders pages ahead
        bump(None)
    note(rows | cells)


def note(rows: Iterable[Row]) -> None:
    """Record the work (one upsert) and queue each department's task. Called after commit."""
    from xinbao.orgs.models import Unit

    rows = sorted(set(rows))
    if not rows:
        return
    # A note left by a transaction that rolled back may name a department that never was.
    known = set(
        Unit.objects.filter(pk__in=sorted({row[1] for row in rows})).values_list("pk", flat=True)
    )
    now = timezone.now()
    objs = [
        PendingRefresh(kind=kind, department_id=dept, year=year, unit_id=unit, noted_at=now)
        for kind, dept, year, unit in rows
        if dept in known
    ]
    if not objs:
        return
    PendingRefresh.objects.bulk_create(
        objs,
        update_conflicts=True,
        unique_fields=["department", "kind", "year", "unit_id"],
        update_fields=["mark"],  # ``noted_at`` stays: how long the work has waited
    )
    for department_id in sorted({obj.department_id for obj in objs}):
        queue(department_id)


def queue(department_id: int, *, force: bool = False) -> bool:
    """Queue the department's task unless one is already waiting (``force``: queue anyway).
    True when queued. A backend that is down is logged, never raised (``requeue_stale``)."""
    from xinbao.scoring.tasks import refresh_department

    try:
        created = _insert_marker(department_id)
    except IntegrityError:  # the department was deleted meanwhile: nothing to refresh
        return False
    if not created and not force:
        # Another writer's marker: its task, waiting or already running, reads this work
        # (committed before).
        return False
    try:
        deferred(refresh_department).enqueue(department_id)
    except Exception:
        logger.exception("could not queue the refresh of department %s", department_id)
        # No task waits: the next write tries again (and ``requeue_stale`` in any case).
        PendingRefresh.objects.filter(department_id=department_id, kind=Kind.QUEUED).delete()
        return False
    return True


def deferred(task: Task[Any, Any]) -> Task[Any, Any]:
    """``task`` to run ``XINBAO_REFRESH_DELAY_SECONDS`` from now, when its backend can defer.

    The writes noted meanwhile find the department's marker and join this run (coalescing),
    and the run is off the path of the writer's next request (an officer creates an item,
    then submits it at once). The figures lag the write by the delay."""
    delay = getattr(settings, "XINBAO_REFRESH_DELAY_SECONDS", 0)
    if delay <= 0 or not task.get_backend().supports_defer:
        return task
    return task.using(run_after=timezone.now() + datetime.timedelta(seconds=delay))


def _insert_marker(department_id: int) -> bool:
    """Put in the department's ``queued`` marker unless it is there: one
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (SQLite ≥ 3.35, PostgreSQL), no read first
    and no savepoint. True when this call inserted it."""
    connection = connections[router.db_for_write(PendingRefresh)]
    quote = connection.ops.quote_name
    mark = PendingRefresh._meta.get_field("mark")
    noted_at = PendingRefresh._meta.get_field("noted_at")
    assert isinstance(mark, Field) and isinstance(noted_at, Field)  # noqa: S101 - for mypy
    key = ["department_id", "kind", "year", "unit_id"]  # the unique constraint's columns
    columns = [*key, "mark", "noted_at"]
    params = [
        department_id,
        Kind.QUEUED.value,
        0,
        0,
        mark.get_db_prep_value(uuid.uuid4(), connection),
        noted_at.get_db_prep_value(timezone.now(), connection),
    ]
    sql = (
        f"INSERT INTO {quote(PendingRefresh._meta.db_table)} "  # noqa: S608 - names only
        f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in key)}) DO NOTHING RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def drain(department_id: int) -> int:
    """Do the department's noted work; returns the rows done. Safe to run twice or late."""
    from xinbao.dashboard.aggregates import units_refresh
    from xinbao.dashboard.cache import bump, new_token
    from xinbao.dashboard.pages import warm
    from xinbao.items.errors import ItemError
    from xinbao.orgs.models import Unit
    from xinbao.scoring import ledger

    # First the marker: a write noted from now on queues another task.
    PendingRefresh.objects.filter(department_id=department_id, kind=Kind.QUEUED).delete()
    with transaction.atomic():
        department = Unit.objects.select_for_update(no_key=True).filter(pk=department_id).first()
        rows = list(
            PendingRefresh.objects.filter(department_id=department_id)
            .exclude(kind=Kind.QUEUED)
            .values_list("pk", "mark", "kind", "year", "unit_id")
        )
        if department is None or not rows:
            return 0
        whole: set[int] = set()
        years: dict[int, set[int]] = defaultdict(set)
        cells: set[int] = set()
        for _pk, _mark, kind, year, unit_id in rows:
            if kind == Kind.LEDGER and unit_id == 0:
                whole.add(year)
            elif kind == Kind.LEDGER:
                years[year].add(unit_id)
            elif unit_id:
                cells.add(unit_id)
        for year in sorted(whole | set(years)):
            try:
                if year in whole:
                    ledger.rebuild(department, year)
                else:
                    ledger.refresh(department, year, years[year])
            except ItemError:  # an invalid rule set: the editor sees it on the ranking page
                logger.warning("ledger refresh skipped for %s %s", department_id, year)
        if cells:
            units_refresh(department_id, cells)
        for start in range(0, len(rows), 500):  # a renewed row has a new mark: it stays
            batch = rows[start : start + 500]
            PendingRefresh.objects.filter(
                pk__in=[row[0] for row in batch], mark__in=[row[1] for row in batch]
            ).delete()
    # After the cells' commit (no figure from the old cells is cached anew): the page someone
    # watches rendered under the coming version, then that version made current.
    token = new_token()
    warm(department_id, token)
    bump(department_id, token)
    return len(rows)


def is_pending(department_id: int) -> bool:
    """Whether figures of the department are still being brought up to date (one query)."""
    return (
        PendingRefresh.objects.filter(department_id=department_id)
        .exclude(kind=Kind.QUEUED)
        .exists()
    )


def requeue_stale(now: datetime.datetime | None = None) -> int:
    """Queue again each department whose work has waited longer than ``STALE_AFTER`` (a task
    that failed or was lost). Returns the departments queued."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    departments = sorted(
        set(
            PendingRefresh.objects.filter(noted_at__lt=cutoff)
            .exclude(kind=Kind.QUEUED)
            .values_list("department_id", flat=True)
        )
    )
    return sum(queue(department_id, force=True) for department_id in departments)
