"""About a year of the demo county's publishing: its publications and issues, the issue being
compiled, forwarding to the city and the city's own issue. Upper-level adoptions and leaders'
instructions, the last part of the run, are in ``recognition``.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Max
from django.utils import timezone

from xinbao.audit.services import audit_record
from xinbao.items.models import Item, ItemEvent
from xinbao.notify.models import Notification
from xinbao.orgs.demo import content
from xinbao.orgs.demo.accounts import DemoCounty
from xinbao.orgs.demo.adopted import Adopted, Published, PublishingSummary, weighted_sample
from xinbao.orgs.demo.clock import next_workday, workday
from xinbao.orgs.demo.recognition import record_adoptions
from xinbao.publishing.models import Forwarding, Publication, PublicationIssue
from xinbao.publishing.rules import ADOPTED_STATES
from xinbao.publishing.services import (
    entry_update,
    forwarding_decide,
    issue_add_item,
    issue_create,
    issue_publish,
    issue_update_meta,
    item_forward,
)

PERIODICAL_DAYS = (12, 27)  # 《组工信息》 comes out about twice a month
BULLETIN_DAY = 5  # 《基层组织建设通报》, early in the month
COLUMN_WEEKDAY = 4  # the web column is updated on Fridays
BRIEFING_WEEKDAY = 2  # on Wednesdays the 换届 office sees whether a briefing is due
BRIEFING_MAX, BRIEFING_GAP = 5, 35  # at most five briefings, at least five weeks apart
INTERNAL_SHARE, INTERNAL_MAX = 40, 6  # one adopted item in forty is internal, at most six
FORWARDS, PENDING_FORWARDS, CITY_DECLINES, CITY_CARRIES = 15, 3, 2, 5
NOTICES_READ_AFTER = datetime.timedelta(days=10)  # older notices have been read
MERIT = {
    content.EMERGENCY: 4.0,
    content.EXPERIENCE: 3.0,
    content.RESEARCH: 2.5,
    content.PROBLEM: 2.0,
    content.NEWS: 1.0,
    content.OTHER: 0.5,
}


class PublishingGenerator:
    """Sets up the county department's publications (and the city's 《澜江组工》), publishes about
    a year of issues from the county's adopted items, leaves one issue being compiled, forwards
    the best items to the city (which adopts most, carries some and has a few still to decide),
    and records upper-level adoptions and leaders' instructions.

    Everything goes through the publishing services, in date order (issue numbers are given at
    publication). Right after each call the rows it wrote, and the in-app notices it sent, are
    moved onto the planned time; notices older than ``NOTICES_READ_AFTER`` are marked read.
    """

    def __init__(self, county: DemoCounty, rng: random.Random) -> None:
        self.county = county
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.editor = county.editors[0]
        self.publications: dict[content.PublicationSpec, Publication] = {}
        self.published: list[Published] = []
        self.briefings: list[datetime.date] = []
        self.made = PublishingSummary()
        self.notice_mark = self.last_notice()

    def run(self) -> PublishingSummary:
        self.create_publications()
        adopted = self.load_adopted()
        self.mark_internal(adopted)
        if adopted:
            first = adopted[0].decided + datetime.timedelta(days=3)
            for spec, day in self.schedule(first, self.today - datetime.timedelta(days=2)):
                entries = self.pick(spec, day, adopted)
                if entries:
                    self.publish(spec, day, entries)
        self.compile_draft(adopted)
        forwarded = self.forward(adopted)
        self.city_issue(forwarded)
        record_adoptions(self, adopted, forwarded)
        return self.made

    # -- setting up -------------------------------------------------------------------------

    def create_publications(self) -> None:
        for order, spec in enumerate(content.COUNTY_PUBLICATIONS, start=1):
            publication = Publication(
                department=self.county.dept,
                name=spec.name,
                kind=spec.kind,
                distribution=spec.distribution,
                sort_order=order,
            )
            if spec is content.ZUGONG:  # a running periodical brought into xinbao
                publication.last_year = self.today.year - 1
                publication.last_number = content.ZUGONG_LAST_NUMBER
                publication.last_total_number = content.ZUGONG_LAST_TOTAL
            self.publications[spec] = self.save_publication(publication)

    def save_publication(self, publication: Publication) -> Publication:
        publication.full_clean()
        publication.save()
        audit_record(
            actor=None,
            action="publication.create",
            obj=publication,
            changes={"department": publication.department.code, "source": "demo_data"},
        )
        self.made.publications += 1
        return publication

    def load_adopted(self) -> list[Adopted]:
        """The county's adopted items (also those archived since), oldest decision first."""
        dept = self.county.dept
        aims = dict(
            ItemEvent.objects.filter(item__department=dept, action="adopt").values_list(
                "item_id", "comment"
            )
        )
        items = (
            Item.objects.filter(
                department=dept,
                pk__in=list(aims),
                state__in=ADOPTED_STATES,
                decided_at__isnull=False,
            )
            .select_related("unit", "category")
            .order_by("decided_at", "pk")
        )
        adopted = []
        for item in items:
            if item.decided_at is None:  # filtered out above; this tells the type checker
                continue
            emergency = content.EMERGENCY_KEYWORD in item.keywords
            kind = content.EMERGENCY if emergency else item.category.name
            adopted.append(
                Adopted(
                    item=item,
                    decided_at=timezone.localtime(item.decided_at),
                    aim=aim_of(aims[item.pk]),
                    kind=kind,
                    merit=MERIT.get(kind, 1.0) + self.rng.uniform(0, 2),
                )
            )
        return adopted

    def mark_internal(self, adopted: list[Adopted]) -> None:
        """A handful of problem reports and surveys are not for the public website."""
        pool = [a for a in adopted if a.kind in (content.PROBLEM, content.RESEARCH)]
        count = min(INTERNAL_MAX, max(1, len(adopted) // INTERNAL_SHARE), len(pool))
        for chosen in self.rng.sample(pool, count):
            Item.objects.filter(pk=chosen.item.pk).update(is_internal=True)
            chosen.item.is_internal = True
            audit_record(
                actor=None,
                action="item.mark_internal",
                obj=chosen.item,
                changes={"is_internal": [False, True], "source": "demo_data"},
            )

    # -- the county's issues ----------------------------------------------------------------

    def schedule(
        self, first: datetime.date, last: datetime.date
    ) -> list[tuple[content.PublicationSpec, datetime.date]]:
        """Planned issue days between ``first`` and ``last``, in date order; a briefing slot is
        only a chance to publish one."""
        rng = self.rng
        slots: list[tuple[content.PublicationSpec, datetime.date]] = []
        month = first.replace(day=1)
        while month <= last:
            for day_of_month in PERIODICAL_DAYS:
                shifted = month.replace(day=day_of_month) + datetime.timedelta(
                    days=rng.randint(-2, 2)
                )
                slots.append((content.ZUGONG, workday(shifted)))
            shifted = month.replace(day=BULLETIN_DAY) + datetime.timedelta(days=rng.randint(0, 3))
            slots.append((content.BULLETIN, workday(shifted)))
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        day = first
        while day <= last:
            if day.weekday() == COLUMN_WEEKDAY:
                slots.append((content.WEB_COLUMN, day))
            if day.weekday() == BRIEFING_WEEKDAY:
                slots.append((content.BRIEFING, day))
            day += datetime.timedelta(days=1)
        order = {spec: n for n, spec in enumerate(content.COUNTY_PUBLICATIONS)}
        return sorted(
            (slot for slot in slots if first <= slot[1] <= last),
            key=lambda slot: (slot[1], order[slot[0]]),
        )

    def pick(
        self, spec: content.PublicationSpec, day: datetime.date, adopted: list[Adopted]
    ) -> list[Adopted]:
        """The items an issue of ``spec`` on ``day`` carries, lead item first; none when there
        is not enough fresh material (the slot is then skipped)."""
        rng = self.rng

        def fresh(days: int) -> list[Adopted]:
            since = day - datetime.timedelta(days=days)
            return [a for a in adopted if since <= a.decided < day]

        def aimed(a: Adopted, here: float, elsewhere: float) -> float:
            if a.aim is None:
                return 1.0
            return here if a.aim is spec else elsewhere

        if spec is content.ZUGONG:
            pool = [a for a in fresh(40) if a.carried_on is None]
            weights = [
                aimed(a, 3, 0.3)
                * (3 if a.kind == content.EMERGENCY else 1)
                * (0.15 if a.election else 1)
                * (0.5 + a.merit / 4)
                for a in pool
            ]
            if len(pool) < 3:
                return []
            picked = weighted_sample(rng, pool, weights, rng.randint(3, 5))
            return sorted(picked, key=lambda a: (a.kind != content.EMERGENCY, -a.merit))
        if spec is content.BULLETIN:
            pool = [a for a in fresh(45) if a.carried_on is None and a.kind != content.EMERGENCY]
            weights = [
                aimed(a, 4, 0.3)
                * (3 if any(k in a.item.keywords for k in content.BULLETIN_KEYWORDS) else 1)
                * (0.3 if a.election else 1)
                for a in pool
            ]
            if len(pool) < 2:
                return []
            picked = weighted_sample(rng, pool, weights, rng.randint(2, 3))
            return sorted(picked, key=lambda a: -a.merit)
        if spec is content.BRIEFING:
            if len(self.briefings) >= BRIEFING_MAX or (
                self.briefings and (day - self.briefings[-1]).days < BRIEFING_GAP
            ):
                return []
            pool = [a for a in fresh(75) if a.carried_on is None and a.election]
            if len(pool) < 2:
                return []
            self.briefings.append(day)
            return sorted(rng.sample(pool, min(len(pool), 4)), key=lambda a: a.decided_at)
        pool = [a for a in fresh(21) if not a.on_web and not a.item.is_internal]
        weights = [aimed(a, 4, 1) * (1 if a.carried_on else 1.5) for a in pool]
        return weighted_sample(rng, pool, weights, rng.randint(1, 3))

    def publish(
        self, spec: content.PublicationSpec, day: datetime.date, entries: list[Adopted]
    ) -> None:
        rng, editor = self.rng, self.editor
        issue = issue_create(publication=self.publications[spec], actor=editor)
        for position, adopted in enumerate(entries):
            entry = issue_add_item(issue=issue, item=adopted.item, actor=editor)
            note = self.editor_note(spec, position, adopted)
            if note:
                entry_update(
                    entry=entry,
                    actor=editor,
                    headline=entry.headline,
                    text=entry.text,
                    editor_note=note,
                    source_line=entry.source_line,
                )
        issue = issue_update_meta(
            issue=issue,
            actor=editor,
            title="",
            issue_date=day,
            compiler=issue.compiler,
            signer=self.county.leader.display_name,
            distribution=issue.distribution,
        )
        issue = issue_publish(issue=issue, actor=editor)
        web = spec is content.WEB_COLUMN
        started = day if web else workday(day - datetime.timedelta(days=rng.randint(2, 5)))
        published = self.office_time(day, (14, 0), (17, 40))
        self.date_issue(issue, self.office_time(started, (8, 40), (11, 30)), published)
        for adopted in entries:
            if web:
                adopted.on_web = True
            elif adopted.carried_on is None:
                adopted.carried_on = day
        self.published.append(Published(spec, day, published, entries))

    def editor_note(self, spec: content.PublicationSpec, position: int, adopted: Adopted) -> str:
        """Now and then a 编者按 on the lead item of 《组工信息》 or the bulletin."""
        chance = {content.ZUGONG: 0.35, content.BULLETIN: 0.5}.get(spec, 0.0)
        notes = content.EDITOR_NOTES.get(adopted.kind, ())
        if position or not notes or self.rng.random() >= chance:
            return ""
        return self.rng.choice(notes).format(unit=adopted.item.unit.display_name)

    def compile_draft(self, adopted: list[Adopted]) -> None:
        """The next 《组工信息》, begun on the last working day with the two latest adoptions
        not yet carried, dated for its regular day; not signed off yet."""
        started = self.when(workday(self.today - datetime.timedelta(days=1)))
        before = [a for a in adopted if a.decided_at < started]
        waiting = [a for a in before if a.carried_on is None][-2:]
        if len(waiting) < 2:
            waiting = before[-2:]
        if not waiting:
            return
        issue = issue_create(publication=self.publications[content.ZUGONG], actor=self.editor)
        for entry in sorted(waiting, key=lambda a: -a.merit):
            issue_add_item(issue=issue, item=entry.item, actor=self.editor)
        month = self.today.replace(day=1)
        days = [month.replace(day=d) for d in PERIODICAL_DAYS]
        days += [(month + datetime.timedelta(days=32)).replace(day=d) for d in PERIODICAL_DAYS]
        due = next(day for day in days if day > self.today + datetime.timedelta(days=1))
        issue_update_meta(
            issue=issue,
            actor=self.editor,
            title="",
            issue_date=next_workday(due),
            compiler=issue.compiler,
            signer="",
            distribution=issue.distribution,
        )
        PublicationIssue.objects.filter(pk=issue.pk).update(created_at=started)

    # -- forwarding to the city -------------------------------------------------------------

    def forward(self, adopted: list[Adopted]) -> list[Adopted]:
        """Send the best carried items up to the city; the city decides all but the latest
        few. Returns the forwarded ones, in the order they were sent."""
        rng = self.rng
        periodicals = [p for p in self.published if p.spec is content.ZUGONG]
        if not periodicals:
            return []
        recent = periodicals[-PENDING_FORWARDS:]
        pending: list[Adopted] = []
        for issue in recent:
            best = max(issue.entries, key=lambda a: a.merit)
            if best not in pending:
                pending.append(best)
        cutoff = recent[0].day - datetime.timedelta(days=14)
        older = [
            a
            for a in adopted
            if a.carried_on is not None and a.carried_on < cutoff and a not in pending
        ]
        decided = weighted_sample(rng, older, [a.merit**2 for a in older], FORWARDS - len(pending))
        decided.sort(key=lambda a: (a.carried_on, a.decided_at))
        declines = set(
            sorted(decided, key=lambda a: a.merit)[: min(CITY_DECLINES, len(decided) // 5)]
        )
        sent: list[tuple[Adopted, Forwarding]] = []
        for forwarded in decided + pending:
            issue = next(
                p
                for p in self.published
                if p.spec is not content.WEB_COLUMN and forwarded in p.entries
            )
            at = self.when(issue.day + datetime.timedelta(days=rng.randint(1, 4)), after=issue.at)
            notes: tuple[str, ...] = content.FORWARD_NOTES
            if forwarded.kind != content.EXPERIENCE:
                notes = content.FORWARD_NOTES_OTHER
            forwarding = item_forward(
                item=forwarded.item, actor=self.editor, note=rng.choice(notes)
            )
            Forwarding.objects.filter(pk=forwarding.pk).update(forwarded_at=at)
            forwarding.forwarded_at = at
            forwarded.forwarding = forwarding
            sent.append((forwarded, forwarding))
            self.made.forwardings += 1
        for forwarded, forwarding in sent[: len(decided)]:
            decided_on = timezone.localdate(forwarding.forwarded_at) + datetime.timedelta(
                days=rng.randint(1, 6)
            )
            at = self.when(decided_on, after=forwarding.forwarded_at)
            adopt = forwarded not in declines
            comments = content.CITY_ADOPT_COMMENTS if adopt else content.CITY_DECLINE_COMMENTS
            forwarding = forwarding_decide(
                forwarding=forwarding,
                actor=self.county.city_editor,
                adopt=adopt,
                comment=rng.choice(comments),
            )
            Forwarding.objects.filter(pk=forwarding.pk).update(decided_at=at)
            forwarding.decided_at = at
            forwarded.forwarding = forwarding
            self.date_notices(at)
        return decided + pending

    def city_issue(self, forwarded: list[Adopted]) -> None:
        """《澜江组工》 carries the city's latest adoptions from the county."""
        adopted = [
            a
            for a in forwarded
            if a.forwarding is not None and a.forwarding.state == Forwarding.State.ADOPTED
        ]
        carried = sorted(adopted, key=self.city_decided)[-CITY_CARRIES:]
        if not carried:
            self.city_publication(self.today)
            return
        last = self.city_decided(carried[-1])
        day = next_workday(last.date() + datetime.timedelta(days=self.rng.randint(2, 6)))
        day = max(min(day, self.today - datetime.timedelta(days=1)), last.date())
        publication = self.city_publication(day)
        if (publication.last_year or 0) > day.year:
            return  # someone set the counters past this year: leave it
        city_editor = self.county.city_editor
        issue = issue_create(publication=publication, actor=city_editor)
        for entry in sorted(carried, key=lambda a: -a.merit):
            issue_add_item(issue=issue, item=entry.item, actor=city_editor)
        issue = issue_update_meta(
            issue=issue,
            actor=city_editor,
            title="",
            issue_date=day,
            compiler=issue.compiler,
            signer=content.CITY_SIGNER,
            distribution=issue.distribution,
        )
        issue = issue_publish(issue=issue, actor=city_editor)
        published = self.when(day, after=last, start=(15, 0), end=(17, 30))
        started = min(self.office_time(day, (8, 40), (11, 0)), published)
        self.date_issue(issue, started, published)

    def city_publication(self, day: datetime.date) -> Publication:
        """《澜江组工》, created when absent with counters for about two issues a month so far."""
        spec = content.CITY_PUBLICATION
        existing = Publication.objects.filter(department=self.county.city, name=spec.name).first()
        if existing is not None:
            return existing
        so_far = 2 * (day.month - 1) + (1 if day.day > 15 else 0)
        publication = Publication(
            department=self.county.city,
            name=spec.name,
            kind=spec.kind,
            distribution=spec.distribution,
            last_year=day.year,
            last_number=so_far,
            last_total_number=content.CITY_TOTAL_BEFORE_YEAR + so_far,
            sort_order=1,
        )
        return self.save_publication(publication)

    def city_decided(self, adopted: Adopted) -> datetime.datetime:
        """When the city decided on the item; asked only of decided forwardings."""
        forwarding = adopted.forwarding
        if forwarding is None or forwarding.decided_at is None:
            raise ValueError(f"item {adopted.item.pk} has no decided forwarding")
        return timezone.localtime(forwarding.decided_at)

    def office_time(
        self,
        day: datetime.date,
        start: tuple[int, int] = (8, 40),
        end: tuple[int, int] = (17, 40),
    ) -> datetime.datetime:
        minute = self.rng.randint(start[0] * 60 + start[1], end[0] * 60 + end[1])
        at = datetime.time(minute // 60, minute % 60, self.rng.randint(0, 59))
        return timezone.make_aware(datetime.datetime.combine(day, at))

    def when(
        self,
        day: datetime.date,
        *,
        after: datetime.datetime | None = None,
        start: tuple[int, int] = (8, 40),
        end: tuple[int, int] = (17, 40),
    ) -> datetime.datetime:
        """A time in office hours on ``day`` (the next working day if it is not one, the last
        one if that is still to come), later than ``after`` and earlier than now."""
        day = next_workday(day)
        if day > self.today:
            day = workday(self.today)
        at = self.office_time(day, start, end)
        if after is not None and at <= after:
            at = after + datetime.timedelta(minutes=self.rng.randint(20, 120))
        return min(at, self.now - datetime.timedelta(minutes=10))

    def date_issue(
        self, issue: PublicationIssue, started: datetime.datetime, published: datetime.datetime
    ) -> None:
        PublicationIssue.objects.filter(pk=issue.pk).update(
            created_at=started, published_at=published
        )
        self.date_notices(published)
        self.made.issues += 1

    def last_notice(self) -> int:
        return Notification.objects.aggregate(last=Max("pk"))["last"] or 0

    def date_notices(self, at: datetime.datetime) -> None:
        """Give the notices sent since the last call the time ``at``."""
        read_at = None
        if at < self.now - NOTICES_READ_AFTER:
            read_at = at + datetime.timedelta(hours=self.rng.uniform(0.5, 30))
        Notification.objects.filter(pk__gt=self.notice_mark).update(created_at=at, read_at=read_at)
        self.notice_mark = self.last_notice()


def aim_of(comment: str) -> content.PublicationSpec | None:
    """The publication an adopting editor's comment names (“拟编入《组工信息》。”)."""
    for spec in sorted(content.COUNTY_PUBLICATIONS, key=lambda s: -len(s.name)):
        if spec.name in comment:
            return spec
    return None
