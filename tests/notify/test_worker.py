"""The database task backend (django-tasks-db): a delivery enqueued after commit waits in the
database until ``xinbao worker`` claims and runs it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tests.conftest import County
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

    with pytest.raises(CommandError, match="rqworker"):
        call_command("worker", "--batch", stdout=StringIO())
