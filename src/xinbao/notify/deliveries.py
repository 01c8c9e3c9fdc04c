"""Carrying messages out of the system: e-mail (Django's mail settings) and the department's
group-chat webhook.

A ``Delivery`` row is written in the transaction of the change it announces; the task that
sends it is enqueued with ``transaction.on_commit``, so nothing is sent for a change that rolled
back, and the sender never waits for a mail server. ``do_delivery_attempt`` claims the row with
one conditional update (a lease: ``next_attempt_at`` moves ``LEASE`` ahead, so a worker that died
mid-send leaves the row to be picked up again), sends, and records the outcome. A failure is
retried after ``XINBAO_DELIVERY_BACKOFF_SECONDS × 2^(attempts-1)`` (at most ``MAX_DELAY``), until
``XINBAO_DELIVERY_MAX_ATTEMPTS``; ``retry_due_deliveries`` (a job of ``xinbao schedule``)
re-enqueues every row whose time has come, whatever the task backend.
"""

from __future__ import annotations

import datetime
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from xinbao.notify.models import (
    DEFAULT_EMAIL_KINDS,
    Delivery,
    DepartmentWebhook,
    Kind,
    Notification,
)
from xinbao.orgs.models import User

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=10)
RETRY_GRACE = datetime.timedelta(minutes=1)
MAX_DELAY = datetime.timedelta(hours=6)
ERROR_MAX = 2000


def absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return f"{settings.XINBAO_SITE_URL}{url}"


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2×base, 4×base, … capped."""
    base = datetime.timedelta(seconds=settings.XINBAO_DELIVERY_BACKOFF_SECONDS)
    return min(base * (2 ** max(0, attempts - 1)), MAX_DELAY)


def wanted_kinds(stored: list[str] | None) -> frozenset[str]:
    return frozenset(DEFAULT_EMAIL_KINDS if stored is None else stored)


def queue_emails(notifications: Sequence[Notification]) -> list[Delivery]:
    """One mail per message whose recipient has an address and wants this kind by mail (one
    query for the recipients); sent after the current transaction commits."""
    if not notifications:
        return []
    people = {
        pk: (email, name, kinds)
        for pk, email, name, kinds in User.objects.filter(
            pk__in={n.recipient_id for n in notifications}, is_active=True
        )
        .exclude(email="")
        .values_list("pk", "email", "full_name", "email_preference__kinds")
    }
    now = timezone.now()
    rows = []
    for notification in notifications:
        person = people.get(notification.recipient_id)
        if person is None or notification.kind not in wanted_kinds(person[2]):
            continue
        email, name, _kinds = person
        link = absolute(notification.url)
        context = {
            "kind_label": Kind(notification.kind).label,
            "text": notification.text,
            "link": link,
            "name": name or email,
        }
        rows.append(
            Delivery(
                channel=Delivery.Channel.EMAIL,
                notification=notification,
                address=email,
                subject=" ".join(render_to_string("notify/email/subject.txt", context).split())[
                    :200
                ],
                body=render_to_string("notify/email/body.txt", context).strip() + "\n",
                url=link,
                next_attempt_at=now,
            )
        )
    deliveries = Delivery.objects.bulk_create(rows)
    enqueue_on_commit(d.pk for d in deliveries)
    return deliveries


def webhook_payload(title: str, text: str, url: str) -> dict[str, object]:
    """A text message as group-chat robots take it (企业微信 and 钉钉 both accept
    ``{"msgtype": "text", "text": {"content": …}}``): title, text and link in the content."""
    content = "\n".join(part for part in (f"【{title}】", text, absolute(url)) if part)
    return {"msgtype": "text", "text": {"content": content}}


def queue_webhook(*, department_id: int, title: str, text: str, url: str) -> Delivery | None:
    """Post to the department's group chat, if it has an active webhook."""
    hook = DepartmentWebhook.objects.filter(department_id=department_id, is_active=True).first()
    if hook is None:
        return None
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.WEBHOOK,
        address=hook.url,
        subject=title[:200],
        body=json.dumps(webhook_payload(title, text, url), ensure_ascii=False),
        url=absolute(url),
        next_attempt_at=timezone.now(),
    )
    enqueue_on_commit([delivery.pk])
    return delivery


def enqueue_on_commit(pks: Iterable[int]) -> None:
    for pk in pks:
        transaction.on_commit(partial(enqueue, pk))


def enqueue(pk: int, run_after: datetime.datetime | None = None) -> None:
    """Hand the delivery to the task backend. A backend that is down is logged, never raised:
    the periodic retry job finds the row again."""
    from xinbao.notify.tasks import deliver

    try:
        task = deliver
        if run_after is not None:
            if not deliver.get_backend().supports_defer:
                return  # the periodic job (``retry_due_deliveries``) picks it up
            task = deliver.using(run_after=run_after)
        task.enqueue(pk)
    except Exception:
        logger.exception("could not enqueue delivery %s", pk)


class DeliveryFailed(Exception):
    pass


def send_email(delivery: Delivery) -> None:
    send_mail(delivery.subject, delivery.body, None, [delivery.address], fail_silently=False)


def send_webhook(delivery: Delivery) -> None:
    if not delivery.address.startswith(("http://", "https://")):
        raise DeliveryFailed("not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        delivery.address,
        data=delivery.body.encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 (http(s) only, checked above)
            request, timeout=settings.XINBAO_WEBHOOK_TIMEOUT
        ) as response:
            answer = response.read(10_000)
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"HTTP {error.code}") from error
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return
    # Robots answer HTTP 200 with {"errcode": N, "errmsg": …} when they refuse a message.
    if isinstance(parsed, dict) and parsed.get("errcode") not in (None, 0):
        raise DeliveryFailed(f"errcode {parsed.get('errcode')}: {parsed.get('errmsg', '')}")


SENDERS = {Delivery.Channel.EMAIL: send_email, Delivery.Channel.WEBHOOK: send_webhook}


def do_delivery_attempt(pk: int, now: datetime.datetime | None = None) -> str:
    """Try to send one delivery whose time has come. Returns its state afterwards ("" when
    another worker holds it or it is not due). Never raises for a failed send."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        Q(state=Delivery.State.PENDING) | Q(state=Delivery.State.SENDING),
        pk=pk,
        next_attempt_at__lte=now,
    ).update(state=Delivery.State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return ""
    delivery = Delivery.objects.get(pk=pk)
    try:
        SENDERS[Delivery.Channel(delivery.channel)](delivery)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"[:ERROR_MAX]
        give_up = delivery.attempts >= settings.XINBAO_DELIVERY_MAX_ATTEMPTS
        next_at = now + backoff(delivery.attempts)
        Delivery.objects.filter(pk=pk).update(
            state=Delivery.State.FAILED if give_up else Delivery.State.PENDING,
            last_error=message,
            next_attempt_at=next_at,
        )
        logger.warning(
            "delivery %s (%s to %s) attempt %s failed: %s",
            pk,
            delivery.channel,
            delivery.address,
            delivery.attempts,
            message,
        )
        if give_up:
            return Delivery.State.FAILED
        enqueue(pk, run_after=next_at)
        return Delivery.State.PENDING
    Delivery.objects.filter(pk=pk).update(state=Delivery.State.SENT, sent_at=timezone.now())
    return Delivery.State.SENT


def retry_due_deliveries(now: datetime.datetime) -> int:
    """The periodic job: hand every delivery whose next attempt is overdue by ``RETRY_GRACE``
    to the task backend (those whose task was lost or never ran, and every retry under a
    backend that cannot defer; a deferred task due just now gets the grace to run first). At
    most 500 per run, oldest first. A delivery queued twice is still sent once: the second task
    finds it claimed or sent. Returns how many."""
    due = list(
        Delivery.objects.filter(
            state__in=(Delivery.State.PENDING, Delivery.State.SENDING),
            next_attempt_at__lte=now - RETRY_GRACE,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        enqueue(pk)
    return len(due)
