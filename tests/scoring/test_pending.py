"""The ledger's and the dashboards' refresh runs in a background task (``scoring.pending``): a
write only notes the units and queues one task per department; the worker brings the ledger
rows and the dashboard cells up to date. Under the database task backend (a real worker) the
figures stay as they were until the task runs."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import County
from tests.scoring.conftest import YEAR, carry
from xinbao.dashboard.aggregates import ensure_built
from xinbao.dashboard.models import UnitMonth
from xinbao.scoring import ledger, pending
from xinbao.scoring.models import PendingRefresh, RuleSet, ScoreEntry
from xinbao.scoring.rules import DEMO_RULES
from xinbao.topics.reminders import run_due_jobs

LONG = "基层党组织建设情况。" * 30
TASK = "xinbao.scoring.tasks.refresh_department"


def signature(county: County) -> Counter:
    return Counter(
        ledger.entry_signature(e)
        for e in ScoreEntry.objects.filter(department=county.dept, year=YEAR)
    )


def full(county: County) -> Counter:
    rules = RuleSet.objects.get(department=county.dept, year=YEAR).rules
    today = timezone.localdate()
    return Counter(line.signature() for line in ledger.compute(county.dept, YEAR, rules, today))


def cells_of(county: County) -> list[Any]:
    return sorted(
        UnitMonth.objects.filter(department=county.dept, unit=county.town_a).values_list(
            "month", "data"
        )
    )


@pytest.fixture
def scene(county: County, submitted: Any, publications: Any, settings: Any) -> Any:
    """Rules, four items and the ledger and cells built (immediate tasks); then the database
    task backend, as in a deployment with ``xinbao worker``."""
    RuleSet.objects.create(department=county.dept, year=YEAR, name="演示", rules=DEMO_RULES)
    items = [
        submitted(title=f"信息{n}", body=LONG, on=datetime.date(YEAR, n + 1, 3)) for n in range(4)
    ]
    ledger.rebuild(county.dept, YEAR)
    ensure_built(county.dept.pk)
    PendingRefresh.objects.all().delete()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.XINBAO_REFRESH_DELAY_SECONDS = 0  # the worker runs what is queued (one test defers)
    return items, publications


def worker() -> None:
    call_command("worker", "--batch", stdout=StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_only_queues_and_the_worker_brings_ledger_and_cells_up(
    county: County, scene: Any
) -> None:
    items, pubs = scene
    cells_before = cells_of(county)
    with transaction.atomic():
        entry = carry(items[0], pubs["city"], on=datetime.date(YEAR, 4, 2))
    # Committed, but the ledger and the cells are as they were: the work waits for the worker.
    assert not ScoreEntry.objects.filter(fact_id=f"entry:{entry.pk}").exists()
    assert cells_of(county) == cells_before
    assert pending.is_pending(county.dept.pk)
    noted = set(
        PendingRefresh.objects.exclude(kind="queued").values_list("kind", "year", "unit_id")
    )
    assert ("ledger", YEAR, county.town_a.pk) in noted
    assert ("dashboard", 0, county.town_a.pk) in noted
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.status) == (TASK, "READY")
    assert task.args_kwargs["args"] == [county.dept.pk]

    worker()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    line = ScoreEntry.objects.get(fact_id=f"entry:{entry.pk}")
    assert (line.unit, line.points) == (county.town_a, Decimal(10))
    assert signature(county) == full(county)
    assert cells_of(county) != cells_before  # the carried item counts in April's cell
    assert not PendingRefresh.objects.exists()
    assert not pending.is_pending(county.dept.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_refresh_waits_the_delay_and_the_writes_meanwhile_join_it(
    county: County, scene: Any, settings: Any
) -> None:
    """XINBAO_REFRESH_DELAY_SECONDS: the task runs that long after the first write, so the
    writes of the next moments (create, then submit) make one run, off the writer's path."""
    settings.XINBAO_REFRESH_DELAY_SECONDS = 30
    items, pubs = scene
    before = timezone.now()
    for n, item in enumerate(items[:2]):
        with transaction.atomic():
            carry(item, pubs["city"], on=datetime.date(YEAR, 6, n + 1))
    task = DBTaskResult.objects.get(task_path=TASK)  # one task for both writes
    assert task.run_after is not None
    assert before + datetime.timedelta(seconds=29) < task.run_after
    assert task.run_after < timezone.now() + datetime.timedelta(seconds=31)
    worker()  # not yet due: nothing runs, the work stays noted
    task.refresh_from_db()
    assert task.status == "READY"
    assert pending.is_pending(county.dept.pk)
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())  # 30 s later
    worker()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert signature(county) == full(county)
    assert not PendingRefresh.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writes_before_the_task_runs_collapse_into_one_task_and_one_refresh(
    county: County, scene: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, pubs = scene
    for n, item in enumerate(items[:3]):
        with transaction.atomic():
            carry(item, pubs["city"], on=datetime.date(YEAR, 5, n + 1))
    # Three commits, one task waiting, one row per unit and kind (town A's items, all three).
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1
    assert PendingRefresh.objects.filter(kind="ledger").count() == 1
    calls: list[set[int]] = []
    real = ledger.refresh

    def counted(department: Any, year: int, units: Any, **kwargs: Any) -> Any:
        calls.append(set(units))
        return real(department, year, units, **kwargs)

    monkeypatch.setattr(ledger, "refresh", counted)
    worker()
    assert calls == [{county.town_a.pk}]
    assert signature(county) == full(county)
    assert ScoreEntry.objects.filter(fact_type="adoption", points=10).count() == 3
    # The task took its marker away first: the next write queues a new task.
    with transaction.atomic():
        carry(items[3], pubs["city"], on=datetime.date(YEAR, 6, 1))
    assert DBTaskResult.objects.filter(task_path=TASK, status="READY").count() == 1
    worker()
    assert signature(county) == full(county)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_work_noted_while_the_task_runs_is_kept_for_the_next_task(
    county: County, scene: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, pubs = scene
    with transaction.atomic():
        carry(items[0], pubs["city"], on=datetime.date(YEAR, 4, 2))
    real = ledger.refresh

    def meanwhile(department: Any, year: int, units: Any, **kwargs: Any) -> Any:
        result = real(department, year, units, **kwargs)
        # Another app server commits a fact about the same unit while the task is running.
        pending.note([("ledger", county.dept.pk, YEAR, county.town_a.pk)])
        return result

    monkeypatch.setattr(ledger, "refresh", meanwhile)
    pending.drain(county.dept.pk)
    assert set(PendingRefresh.objects.values_list("kind", "unit_id")) == {
        ("ledger", county.town_a.pk),
        ("queued", 0),  # the renewed row queued the next task
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_refresh_keeps_the_commit_and_the_work_and_is_queued_again(
    county: County, scene: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, pubs = scene

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(ledger, "refresh", broken)
    with transaction.atomic():
        entry = carry(items[0], pubs["city"], on=datetime.date(YEAR, 4, 2))
    worker()
    assert DBTaskResult.objects.get(task_path=TASK).status == "FAILED"
    assert entry.__class__.objects.filter(pk=entry.pk).exists()  # the writer's commit stands
    assert pending.is_pending(county.dept.pk)  # the task rolled back: its work is still noted
    assert not ScoreEntry.objects.filter(fact_id=f"entry:{entry.pk}").exists()

    monkeypatch.undo()
    # Not yet stale: the periodic job leaves it to the queue.
    assert run_due_jobs(timezone.now())["refresh_pending"] == 0
    later = timezone.now() + pending.STALE_AFTER + datetime.timedelta(seconds=1)
    assert run_due_jobs(later)["refresh_pending"] == 1
    worker()
    assert ScoreEntry.objects.get(fact_id=f"entry:{entry.pk}").points == 10
    assert signature(county) == full(county)
    assert not pending.is_pending(county.dept.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_refresh_under_the_immediate_backend_never_fails_the_write(
    county: County, submitted: Any, publications: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    RuleSet.objects.create(department=county.dept, year=YEAR, name="演示", rules=DEMO_RULES)
    item = submitted(title="信息", body=LONG)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(ledger, "refresh", broken)
    with transaction.atomic():
        entry = carry(item, publications["city"], on=datetime.date(YEAR, 4, 2))
    assert entry.__class__.objects.filter(pk=entry.pk).exists()
    assert pending.is_pending(county.dept.pk)
    monkeypatch.undo()
    pending.drain(county.dept.pk)
    assert ScoreEntry.objects.get(fact_id=f"entry:{entry.pk}").points == 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_ranking_says_figures_are_being_updated_while_work_waits(
    county: County, scene: Any
) -> None:
    items, pubs = scene
    client = Client()
    client.force_login(county.editor)
    page = client.get(f"/scoring/ranking/?year={YEAR}").content.decode()
    assert "统计更新中" not in page
    with transaction.atomic():
        carry(items[0], pubs["city"], on=datetime.date(YEAR, 4, 2))
    page = client.get(f"/scoring/ranking/?year={YEAR}").content.decode()
    assert 'id="updating"' in page and "统计更新中" in page
    worker()
    page = client.get(f"/scoring/ranking/?year={YEAR}").content.decode()
    assert "统计更新中" not in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_queue_that_is_down_leaves_the_work_noted_and_the_next_write_queues_it(
    county: County, scene: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinbao.scoring import tasks

    items, pubs = scene

    class Down:
        def enqueue(self, *args: Any) -> None:
            raise ConnectionError("queue unreachable")

    monkeypatch.setattr(tasks, "refresh_department", Down())
    with transaction.atomic():
        first = carry(items[0], pubs["city"], on=datetime.date(YEAR, 4, 2))
    assert first.__class__.objects.filter(pk=first.pk).exists()
    assert not DBTaskResult.objects.exists()
    assert not PendingRefresh.objects.filter(kind="queued").exists()  # no task is waiting
    noted_at = PendingRefresh.objects.get(kind="ledger").noted_at
    monkeypatch.undo()
    with transaction.atomic():
        carry(items[0], pubs["county"], on=datetime.date(YEAR, 4, 3))
    # The same unit's row: renewed, still dated from the first write (how long it has waited).
    assert PendingRefresh.objects.get(kind="ledger").noted_at == noted_at
    assert DBTaskResult.objects.filter(task_path=TASK, status="READY").count() == 1
    worker()
    assert ScoreEntry.objects.filter(fact_id=f"entry:{first.pk}").exists()
    assert signature(county) == full(county)


@pytest.mark.django_db
def test_a_note_naming_a_department_that_does_not_exist_is_dropped(
    county: County, settings: Any
) -> None:
    # e.g. left by a transaction that created the department and rolled back
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    missing = county.dept.pk + 10_000
    pending.note([("ledger", missing, YEAR, 1), ("dashboard", county.dept.pk, 0, 0)])
    assert set(PendingRefresh.objects.values_list("department_id", "kind")) == {
        (county.dept.pk, "dashboard"),
        (county.dept.pk, "queued"),
    }


@pytest.mark.django_db
def test_queue_puts_the_marker_in_with_one_statement_and_only_once(
    county: County, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_assert_num_queries(2) as captured:  # the marker, then the task's row
        assert pending.queue(county.dept.pk)
    assert "ON CONFLICT" in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(1):  # the marker is there: no task queued
        assert not pending.queue(county.dept.pk)
    assert PendingRefresh.objects.filter(kind="queued").count() == 1
    assert DBTaskResult.objects.count() == 1
    assert pending.queue(county.dept.pk, force=True)
    assert DBTaskResult.objects.count() == 2
