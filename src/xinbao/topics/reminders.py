"""Periodic jobs (``xinbao schedule``): reminders as in-app messages, and the topic and urgency
jobs of ``topics.services``.

Every reminder is sent at most once per (kind, object, recipient, due moment): the
``SentReminder`` row is inserted first, and only the run that inserted it writes the message, in
the same transaction. Running the jobs twice, or two schedulers at once, sends nothing twice.
A reminder whose moment has come is sent on the first run after it; a later moment of the same
kind (a new stretch of idleness, the next month) is a new reminder.

- ``topic_due``: a topic's deadline is near (``XINBAO_TOPIC_REMINDER_DAYS`` days before, e.g. 3
  and 1), to the officers and leaders of target units that have neither answered nor declined;
  only the nearest moment that has come is sent (no "3 days left" once 1 day is left), and none
  from before the topic was issued;
- ``topic_missed``: the deadline passed without an answer (deadlines of the last 30 days);
- ``monthly_quiet``: from the ``XINBAO_QUIET_UNIT_DAY`` (20th) of a month, units that have
  submitted nothing that month;
- ``returned_idle``: an item returned for revision and untouched for
  ``XINBAO_RETURNED_IDLE_DAYS`` days, to its authors;
- ``feedback_due`` / ``feedback_overdue``: a leader's instruction (领导批示) whose feedback
  (批示反馈) is due within ``XINBAO_FEEDBACK_REMINDER_DAYS`` days, or overdue (due dates of the
  last 30 days), and not given yet, to the officers and leaders of the item's unit.

Each reminder is an inbox message (and mail for those who want its kind, see ``notify``);
``retry_deliveries`` re-sends mail and webhook messages whose retry time has come;
``refresh_pending`` queues again the ledger and dashboard refresh of departments whose noted work
has waited too long (a failed or lost task, ``scoring.pending``).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.items.models import Item, ItemEvent, State
from xinbao.notify.deliveries import retry_due_deliveries
from xinbao.notify.models import Kind
from xinbao.notify.services import notify_users
from xinbao.orgs.models import Role, Unit, User
from xinbao.publishing.models import Instruction
from xinbao.security.services import clear_expired_sessions, disable_stale_accounts
from xinbao.topics.models import SentReminder, Topic, TopicTarget
from xinbao.topics.services import close_overdue, escalate_overdue
from xinbao.topics.timeliness import remaining_text

logger = logging.getLogger(__name__)

MISSED_LOOKBACK = datetime.timedelta(days=30)


def reminder_days() -> tuple[int, ...]:
    days: Iterable[int] = getattr(settings, "XINBAO_TOPIC_REMINDER_DAYS", (3, 1))
    return tuple(sorted(days, reverse=True))


def send_once(
    *,
    kind: str,
    object_key: str,
    due_at: datetime.datetime,
    recipients: Iterable[int],
    text: str,
    item_id: int | None = None,
    url: str = "",
    message_kind: str | None = None,
) -> int:
    """Message each recipient unless this reminder was already sent to them. Returns how many
    messages were written. ``message_kind`` is the inbox kind (``notify.models.Kind``; by
    default the reminder's ``kind``)."""
    sent = 0
    for recipient_id in recipients:
        try:
            with transaction.atomic():
                _row, created = SentReminder.objects.get_or_create(
                    kind=kind, object_key=object_key, recipient_id=recipient_id, due_at=due_at
                )
                if created:
                    notify_users(
                        recipients=[recipient_id],
                        text=text,
                        kind=message_kind or kind,
                        url=url,
                        item_id=item_id,
                    )
                    sent += 1
        except IntegrityError:  # another scheduler inserted the same key first: it sends
            continue
    return sent


def unit_people(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active officers and sign-off leaders of each unit (one query)."""
    people: dict[int, list[int]] = defaultdict(list)
    rows = User.objects.filter(
        unit_id__in=set(unit_ids), role__in=(Role.OFFICER, Role.UNIT_LEADER), is_active=True
    ).values_list("unit_id", "pk")
    for unit_id, pk in rows:
        people[unit_id].append(pk)
    return people


def local_text(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def remind_topic_deadlines(now: datetime.datetime) -> int:
    offsets = [datetime.timedelta(days=d) for d in reminder_days()]
    if not offsets:
        return 0
    targets = list(
        TopicTarget.objects.filter(
            topic__state=Topic.State.OPEN,
            topic__deadline__gt=now,
            topic__deadline__lte=now + offsets[0],
            answered_at=None,
            declined_at=None,
        ).select_related("topic")
    )
    people = unit_people(t.unit_id for t in targets)
    sent = 0
    for target in targets:
        topic = target.topic
        due = [topic.deadline - o for o in offsets if topic.deadline - o <= now]
        if not due or due[-1] < topic.created_at:
            continue
        text = _("约稿《%(title)s》将于 %(deadline)s 截止(%(left)s),本单位尚未报送。") % {
            "title": topic.title,
            "deadline": local_text(topic.deadline),
            "left": remaining_text(topic.deadline, now, late=_("已逾期")),
        }
        sent += send_once(
            kind="topic_due",
            object_key=f"topic:{topic.pk}",
            due_at=due[-1],
            recipients=people[target.unit_id],
            text=text,
            url=reverse("topics:detail", kwargs={"pk": topic.pk}),
        )
    return sent


def remind_topic_missed(now: datetime.datetime) -> int:
    targets = list(
        TopicTarget.objects.filter(
            outcome=TopicTarget.Outcome.MISSED,
            declined_at=None,
            topic__deadline__lt=now,
            topic__deadline__gte=now - MISSED_LOOKBACK,
        ).select_related("topic")
    )
    people = unit_people(t.unit_id for t in targets)
    sent = 0
    for target in targets:
        topic = target.topic
        text = _("约稿《%(title)s》已于 %(deadline)s 截止,本单位未报送,将记为未回复。") % {
            "title": topic.title,
            "deadline": local_text(topic.deadline),
        }
        sent += send_once(
            kind="topic_missed",
            object_key=f"topic:{topic.pk}",
            due_at=topic.deadline,
            recipients=people[target.unit_id],
            text=text,
            url=reverse("topics:detail", kwargs={"pk": topic.pk}),
        )
    return sent


def remind_quiet_units(now: datetime.datetime) -> int:
    today = timezone.localdate(now)
    day = int(getattr(settings, "XINBAO_QUIET_UNIT_DAY", 20))
    if today.day < day:
        return 0
    month_start = timezone.make_aware(
        datetime.datetime.combine(today.replace(day=1), datetime.time.min)
    )
    due = timezone.make_aware(datetime.datetime.combine(today.replace(day=day), datetime.time.min))
    submitted = ItemEvent.objects.filter(
        item__unit=OuterRef("pk"), action="submit", created_at__gte=month_start
    )
    quiet = list(
        Unit.objects.filter(is_active=True, department__isnull=False)
        .exclude(kind=Unit.Kind.ORG_DEPT)
        .exclude(Exists(submitted))
        .values_list("pk", flat=True)
    )
    people = unit_people(quiet)
    text = _("本月已过 %(day)d 日,本单位本月还没有报送信息,请抓紧报送。") % {"day": day}
    return sum(
        send_once(
            kind="monthly_quiet",
            object_key=f"unit:{unit_id}",
            due_at=due,
            recipients=people[unit_id],
            text=text,
        )
        for unit_id in quiet
    )


def remind_returned_items(now: datetime.datetime) -> int:
    idle = datetime.timedelta(days=int(getattr(settings, "XINBAO_RETURNED_IDLE_DAYS", 5)))
    items = list(
        Item.objects.filter(state=State.RETURNED, updated_at__lte=now - idle)
        .select_related("created_by")
        .prefetch_related("authors")
    )
    sent = 0
    for item in items:
        recipients = {a.pk for a in item.authors.all() if a.is_active and a.unit_id == item.unit_id}
        if item.created_by.is_active:
            recipients.add(item.created_by_id)
        text = _("退回修改的信息《%(title)s》已 %(days)d 天未处理,请修改后重报。") % {
            "title": item.title,
            "days": (now - item.updated_at).days,
        }
        sent += send_once(
            kind="returned_idle",
            object_key=f"item:{item.pk}",
            due_at=item.updated_at + idle,
            recipients=sorted(recipients),
            text=text,
            item_id=item.pk,
        )
    return sent


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def remind_instruction_feedback(now: datetime.datetime) -> int:
    """Instructions whose feedback is due: once when the due date is
    ``XINBAO_FEEDBACK_REMINDER_DAYS`` days away (or at once, when recorded later than that),
    and once the day after the due date, while no feedback has been given."""
    today = timezone.localdate(now)
    days = int(getattr(settings, "XINBAO_FEEDBACK_REMINDER_DAYS", 3))
    instructions = list(
        Instruction.objects.filter(
            feedback_at=None,
            feedback_due_on__isnull=False,
            feedback_due_on__lte=today + datetime.timedelta(days=days),
            feedback_due_on__gte=today - MISSED_LOOKBACK,
        ).select_related("item")
    )
    people = unit_people(i.item.unit_id for i in instructions)
    sent = 0
    for instruction in instructions:
        due_on = instruction.feedback_due_on
        if due_on is None:  # filtered out above
            continue
        item = instruction.item
        url = reverse(
            "publishing:instruction_feedback",
            kwargs={"pk": item.pk, "instruction_pk": instruction.pk},
        )
        values = {"title": item.title, "leader": instruction.leader_title, "due": due_on}
        if today > due_on:
            kind, due_at = "feedback_overdue", day_start(due_on + datetime.timedelta(days=1))
            text = _("%(leader)s对《%(title)s》的批示,反馈期限 %(due)s 已过,请尽快反馈落实情况。")
        else:
            kind = "feedback_due"
            due_at = max(day_start(due_on - datetime.timedelta(days=days)), instruction.recorded_at)
            text = _("%(leader)s对《%(title)s》的批示,请于 %(due)s 前反馈落实情况。")
        sent += send_once(
            kind=kind,
            object_key=f"instruction:{instruction.pk}",
            due_at=due_at,
            recipients=people[item.unit_id],
            text=text % values,
            url=url,
            message_kind=Kind.FEEDBACK_DUE,
        )
    return sent


def refresh_pending(now: datetime.datetime) -> int:
    from xinbao.scoring.pending import requeue_stale

    return requeue_stale(now)


def send_monthly_reports(now: datetime.datetime) -> int:
    from xinbao.dashboard.tasks import monthly_reports_send

    return monthly_reports_send(now)


def expire_department_exports(now: datetime.datetime) -> int:
    from xinbao.transfer.exports import expire_exports  # the archive imports every app's models

    return expire_exports(now)


def abandon_stale_department_exports(now: datetime.datetime) -> int:
    from xinbao.transfer.exports import abandon_stale_exports

    return abandon_stale_exports(now)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime.datetime], int]


JOBS: tuple[Job, ...] = (
    Job("close_overdue", close_overdue),
    Job("escalate_overdue", escalate_overdue),
    Job("topic_due", remind_topic_deadlines),
    Job("topic_missed", remind_topic_missed),
    Job("monthly_quiet", remind_quiet_units),
    Job("returned_idle", remind_returned_items),
    Job("instruction_feedback", remind_instruction_feedback),
    Job("retry_deliveries", retry_due_deliveries),
    Job("refresh_pending", refresh_pending),
    Job("monthly_report", send_monthly_reports),
    Job("disable_stale_accounts", disable_stale_accounts),
    Job("clear_sessions", clear_expired_sessions),
    Job("expire_exports", expire_department_exports),
    Job("abandon_stale_exports", abandon_stale_department_exports),
)


def run_due_jobs(now: datetime.datetime | None = None) -> dict[str, int]:
    """Run every periodic job once. A failing job is logged and does not stop the others."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for job in JOBS:
        try:
            done[job.name] = job.run(now)
        except Exception:
            logger.exception("periodic job %s failed at %s", job.name, now.isoformat())
            done[job.name] = -1
    return done
