"""The database task backend (django-tasks-db): a delivery enqueued after commit waits in the
database until ``xinbao worker`` claims and runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from tests.conftest import County
from tests.test_deployment import redis_available
from xinbao.notify.models import Delivery, Kind
from xinbao.notify.services import notify_users


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_db_worker_claims_and_runs_the_enqueued_delivery(county: County, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    county.officer_a.email = "off_a@example.cn"
    county.officer_a.save(update_fields=["email"])
    with transaction.atomic():
        notify_users(recipients=[county.officer_a.pk], text="新约稿:冬训", kind=Kind.TOPIC)
        assert not DBTaskResult.objects.exists()  # enqueued only once this commits
    task = DBTaskResult.objects.get()
    assert task.status == "READY"
    assert task.task_path == "xinbao.notify.tasks.deliver"
    assert mail.outbox == []
    call_command("worker", "--batch", stdout=StringIO())
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.worker_ids  # claimed by the worker
    assert Delivery.objects.get().state == Delivery.State.SENT
    assert [m.subject for m in mail.outbox] == ["【信报·新约稿】新约稿:冬训"]


def test_worker_says_what_to_run_under_another_backend(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="立即执行"):
        call_command("worker", "--batch", stdout=StringIO())


BIN = Path(sys.executable).parent
RQ_SCRIPT = """
from django.utils import timezone
from xinbao.notify.models import Delivery
from xinbao.notify.tasks import deliver
delivery = Delivery.objects.create(
    channel="email", address="off_a@example.cn", subject="新约稿:冬训", body="正文",
    next_attempt_at=timezone.now(),
)
print(deliver.enqueue(delivery.pk).id)
"""
CHECK_SCRIPT = """
import os
from xinbao.notify.models import Delivery
from xinbao.notify.tasks import deliver
result = deliver.get_result(os.environ["RQ_TASK_ID"])
print(result.status, result.return_value, Delivery.objects.get().state)
"""


def test_redis_backend_runs_the_delivery_through_the_same_worker_command(tmp_path: Path) -> None:
    """Deployments with Redis (docs/deploy.md, 后台任务): with ``XINBAO_TASKS_BACKEND`` set to
    RQ, ``xinbao worker`` runs RQ's worker, which takes the task from Redis and sends the mail.
    Real processes, as systemd runs them (``deploy/systemd/xinbao-worker.service``)."""
    if not redis_available():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (CI must have it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    # Its own Redis database per suite: CI runs the SQLite and the PostgreSQL suite at once.
    redis_db = 12 if connection.vendor == "sqlite" else 11
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'rq.sqlite3'}",
        "XINBAO_TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "XINBAO_REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "XINBAO_CACHE_PREFIX": f"rq-test-{redis_db}",
    }
    redis.Redis(db=redis_db).flushdb()

    def xinbao(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - the project's own command
            [str(BIN / "xinbao"), *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    xinbao("migrate", "-v0")
    task_id = xinbao("shell", "-c", RQ_SCRIPT).strip().splitlines()[-1]
    assert redis.Redis(db=redis_db).llen("rq:queue:default") == 1
    sent = xinbao("worker", "--batch")
    assert "新约稿:冬训" in sent or "off_a@example.cn" in sent  # the console mail backend
    env["RQ_TASK_ID"] = task_id
    check = xinbao("shell", "-c", CHECK_SCRIPT).strip().splitlines()[-1]
    assert check == "SUCCESSFUL sent sent"
    assert redis.Redis(db=redis_db).llen("rq:queue:default") == 0
