"""The monthly report job of ``xinbao schedule`` (registered in ``topics.reminders.JOBS``).

On the first working day of a month (Monday to Friday, not in ``XINBAO_HOLIDAYS``) — or on the
first run after it, if the scheduler was down — every department's editors and department
leaders get last month's report in their inbox and, when they have an address, by e-mail.
Sending goes through ``topics.reminders.send_once`` (the ``SentReminder`` row keyed on the
department and the month): running the job twice, or two schedulers at once, sends nothing
twice. The e-mail is sent with Django's ``send_mail`` after the inbox message's transaction
commits (the plainest path there is: the console backend in the demo; queued mail with retries
in ``notify`` can replace it in this one place).
"""

from __future__ import annotations

import datetime
import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from xinbao.dashboard.periods import aware, month_period, previous_month
from xinbao.dashboard.report import monthly_report, report_email, report_text
from xinbao.orgs.models import DEPARTMENT_ROLES, Unit, User
from xinbao.topics.models import SentReminder
from xinbao.topics.reminders import send_once

logger = logging.getLogger(__name__)


def holidays() -> set[datetime.date]:
    days = getattr(settings, "XINBAO_HOLIDAYS", ())
    return {d if isinstance(d, datetime.date) else datetime.date.fromisoformat(d) for d in days}


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in holidays()


def first_working_day(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month, 1)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def monthly_reports_send(now: datetime.datetime) -> int:
    """Send last month's report to every department's staff once; returns messages written."""
    today = timezone.localdate(now)
    due_day = first_working_day(today.year, today.month)
    if today < due_day:
        return 0
    last = previous_month(today.replace(day=1))
    period = month_period(last.year, last.month)
    staff: dict[int, list[User]] = {}
    for user in User.objects.filter(
        role__in=DEPARTMENT_ROLES, is_active=True, unit__kind=Unit.Kind.ORG_DEPT
    ).order_by("pk"):
        staff.setdefault(user.unit_id or 0, []).append(user)
    sent = 0
    for department in Unit.objects.filter(pk__in=staff).order_by("pk"):
        key = f"department:{department.pk}:{last:%Y-%m}"
        done = SentReminder.objects.filter(
            kind="monthly_report", object_key=key, recipient__in=staff[department.pk]
        ).count()
        if done == len(staff[department.pk]):
            continue  # everyone has it: do not even compute the report
        report = monthly_report(department, period)
        text = report_text(report)
        subject, body = report_email(report)
        for user in staff[department.pk]:
            written = send_once(
                kind="monthly_report",
                object_key=key,
                due_at=aware(due_day),
                recipients=[user.pk],
                text=text,
            )
            sent += written
            if written and user.email:
                address = user.email
                transaction.on_commit(partial(_mail, subject, body, address))
    return sent


def _mail(subject: str, body: str, address: str) -> None:
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # the inbox message stands; the failure is logged with context
        logger.exception("monthly report e-mail to %s failed", address)
