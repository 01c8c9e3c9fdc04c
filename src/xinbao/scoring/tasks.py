"""Background tasks (Django Tasks API). Each receives an id and calls one function."""

from __future__ import annotations

from django_tasks import task

from xinbao.scoring.pending import drain


@task()
def refresh_department(department_id: int) -> int:
    """Bring the department's ledger rows and dashboard cells up to date with the work noted
    for it (``scoring.pending.drain``); returns the rows of work done."""
    return drain(department_id)
