"""Office hours and working days, for placing the demo county's work on a believable timeline.
The seeded choices of times within a day live with the generators (they draw from their own
``random.Random``); these helpers draw nothing.
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def last_office_moment(at: datetime.datetime) -> datetime.datetime:
    """``at`` if it falls in office hours, else the last closing time (18:00) before it."""
    local = timezone.localtime(at)
    if in_office_hours(local):
        return local
    closing = local.replace(hour=18, minute=0, second=0, microsecond=0)
    if closing > local:
        closing -= datetime.timedelta(days=1)
    while closing.weekday() >= 5:
        closing -= datetime.timedelta(days=1)
    return closing


def in_office_hours(local: datetime.datetime) -> bool:
    """08:30–18:00 on a weekday, in the local time zone."""
    return local.weekday() < 5 and (8, 30) <= (local.hour, local.minute) < (18, 0)


def workday(day: datetime.date) -> datetime.date:
    """``day``, or the Friday before when it falls on a weekend."""
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def next_workday(day: datetime.date) -> datetime.date:
    """``day``, or the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day
