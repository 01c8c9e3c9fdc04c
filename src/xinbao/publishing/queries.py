"""Reads for the publishing pages. ``access_issue`` and ``access_forwarding`` are the access
helpers: out-of-scope objects answer 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from xinbao.items.models import Item, ItemEvent
from xinbao.publishing.models import (
    ExternalAdoption,
    Forwarding,
    Instruction,
    IssueEntry,
    Publication,
    PublicationIssue,
)
from xinbao.publishing.rules import ADOPTED_STATES
from xinbao.web.access import department_of

if TYPE_CHECKING:
    from xinbao.orgs.models import User

PICKER_LIMIT = 50


def publications_for(user: User) -> QuerySet[Publication]:
    return Publication.objects.filter(department=department_of(user)).order_by("sort_order", "id")


def access_publication(user: User, pk: int) -> Publication:
    try:
        return publications_for(user).select_related("department").get(pk=pk)
    except Publication.DoesNotExist:
        raise Http404 from None


def issues_of(publication: Publication) -> QuerySet[PublicationIssue]:
    return publication.issues.order_by("-created_at", "-id")


def access_issue(user: User, pk: int) -> PublicationIssue:
    try:
        return PublicationIssue.objects.select_related(
            "publication__department", "revision_of"
        ).get(pk=pk, publication__department=department_of(user))
    except PublicationIssue.DoesNotExist:
        raise Http404 from None


def issue_entries(issue: PublicationIssue) -> list[IssueEntry]:
    return list(issue.entries.select_related("item__unit").order_by("position", "id"))


def carriable_items(issue: PublicationIssue, search: str = "") -> QuerySet[Item]:
    """Items the issue's department has adopted (its own, or forwarded to it and adopted), not
    yet in the issue; most recently decided first, at most ``PICKER_LIMIT``."""
    department = issue.publication.department
    forwarded = Forwarding.objects.filter(
        to_department=department, state=Forwarding.State.ADOPTED
    ).values("item_id")
    qs = Item.objects.filter(
        Q(department=department, state__in=ADOPTED_STATES) | Q(pk__in=forwarded)
    ).exclude(pk__in=issue.entries.values("item_id"))
    if issue.publication.is_web_column:
        # Unchecked items (NULL, from before the upgrade) are offered: adding one checks it.
        qs = qs.filter(Q(secrecy_findings=0) | Q(secrecy_findings__isnull=True), is_internal=False)
    if search := search.strip():
        qs = qs.filter(title__icontains=search)
    return qs.select_related("unit", "category").order_by("-decided_at", "-id")[:PICKER_LIMIT]


def forwarded_inbox(user: User) -> QuerySet[Forwarding]:
    return (
        Forwarding.objects.filter(to_department=department_of(user))
        .select_related("item__unit", "from_department", "forwarded_by")
        .order_by("state", "-forwarded_at", "-id")
    )


def access_forwarding(user: User, pk: int) -> Forwarding:
    try:
        return forwarded_inbox(user).get(pk=pk)
    except Forwarding.DoesNotExist:
        raise Http404 from None


@dataclass
class StoryLine:
    """One line of an item's story after submission: an outlet, a forwarding or an
    instruction."""

    when: date | datetime
    kind: str
    level: str
    text: str
    comment: str = ""
    url: str = ""  # the instruction's feedback page (批示反馈)

    @property
    def has_time(self) -> bool:
        return isinstance(self.when, datetime)


def item_story(item: Item) -> list[StoryLine]:
    """Every outlet that carried the item at every level, every forwarding and every leader's
    instruction, oldest first. Four queries, whatever the item's history."""
    lines: list[StoryLine] = []
    entries = IssueEntry.objects.filter(
        item=item, issue__state=PublicationIssue.State.PUBLISHED
    ).select_related("issue__publication__department")
    for entry in entries:
        issue = entry.issue
        lines.append(
            StoryLine(
                when=issue.published_at or issue.created_at,
                kind="adoption",
                level=issue.publication.department.get_level_display(),
                text=f"《{issue.publication.name}》{issue.number_label} {issue.total_label}",
            )
        )
    for fwd in Forwarding.objects.filter(item=item).select_related("to_department"):
        lines.append(
            StoryLine(
                when=fwd.forwarded_at,
                kind=f"forwarding-{fwd.state}",
                level=fwd.to_department.get_level_display(),
                text=f"{fwd.to_department.name} · {fwd.get_state_display()}",
            )
        )
    for ext in ExternalAdoption.objects.filter(item=item):
        lines.append(
            StoryLine(
                when=ext.adopted_on,
                kind="adoption",
                level=ext.get_level_display(),
                text=f"{ext.outlet} {ext.issue_label}".strip() + f"({ext.get_kind_display()})",
            )
        )
    for ins in Instruction.objects.filter(item=item):
        lines.append(
            StoryLine(
                when=ins.instructed_on,
                kind="instruction",
                level=ins.get_level_display(),
                text=f"{ins.leader_title}{ins.leader_name}:{ins.text}",
                url=reverse(
                    "publishing:instruction_feedback",
                    kwargs={"pk": item.pk, "instruction_pk": ins.pk},
                ),
            )
        )
    return sorted(lines, key=lambda line: _sort_key(line.when))


def item_timeline(item: Item, events: list[ItemEvent]) -> list[StoryLine]:
    """The whole story of an item, oldest first: its workflow moves (``events``, already
    loaded by the caller) interleaved with every outlet, forwarding and instruction."""
    moves = [
        StoryLine(
            when=event.created_at,
            kind=f"move {event.action}",
            level="",
            text=f"{event.actor.display_name} {event.get_to_state_display()}",
            comment=event.comment,
        )
        for event in events
    ]
    return sorted([*moves, *item_story(item)], key=lambda line: _sort_key(line.when))


def _sort_key(value: date | datetime) -> tuple[date, int, datetime | None]:
    """Chronological; a line with only a date (an instruction, an outside adoption) comes
    after the timed lines of its day, which usually led to it."""
    if isinstance(value, datetime):
        local = timezone.localtime(value)
        return local.date(), 0, local
    return value, 1, None
