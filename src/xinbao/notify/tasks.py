"""Background tasks (Django Tasks API). Each receives an id and calls one function."""

from __future__ import annotations

from django_tasks import task

from xinbao.notify.deliveries import do_delivery_attempt


@task()
def deliver(delivery_id: int) -> str:
    """Send one mail or webhook message; a failure is recorded on the row and retried later."""
    return do_delivery_attempt(delivery_id)
