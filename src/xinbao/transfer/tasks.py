"""Background tasks (Django Tasks API). Each receives an id and calls one service."""

from __future__ import annotations

from django_tasks import task

from xinbao.transfer.exports import department_export_run


@task()
def export_department(job_id: int) -> str:
    """Write one queued department archive (``transfer.exports.department_export_run``)."""
    job = department_export_run(job_id)
    return "skipped" if job is None else job.status
