"""A year of the demo county's information items. ``ItemGenerator`` plans each item (its unit,
final state, category and the steps that take a new draft there), performs the steps through the
real item services (``item_create``, ``transition``, ``item_update``) so that events, revisions
and audit records exist, and afterwards moves the item, event and revision timestamps back onto
the planned timeline (demo data only; audit records keep the time they were written).
"""

from __future__ import annotations

import bisect
import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone

from xinbao.items.models import Category, Item, ItemEvent, Revision, State, Urgency
from xinbao.items.services import ItemData, item_create, item_update, transition
from xinbao.orgs.demo import content, drafting
from xinbao.orgs.demo.accounts import DemoCounty, DemoUnit
from xinbao.orgs.demo.clock import in_office_hours, last_office_moment
from xinbao.orgs.demo.content import UnitSpec
from xinbao.orgs.models import Unit

# Fixed recent items, so every demo login finds something to do: town01 sees each state of its
# own work, town02_lead has items to sign off, the editor's inbox has urgent ones on top.
# (unit code, final state, days ago, urgency); urgent ones are emergency reports.
SHOWCASE: tuple[tuple[str, State, float, Urgency], ...] = (
    ("YX-T01", State.DRAFT, 0.2, Urgency.NORMAL),
    ("YX-T01", State.SUBMITTED, 0.4, Urgency.URGENT),
    ("YX-T01", State.IN_REVIEW, 1.5, Urgency.NORMAL),
    ("YX-T01", State.RETURNED, 2.5, Urgency.NORMAL),
    ("YX-T01", State.RESUBMITTED, 4.0, Urgency.NORMAL),
    ("YX-T01", State.ADOPTED, 6.0, Urgency.NORMAL),
    ("YX-T01", State.DECLINED, 9.0, Urgency.NORMAL),
    ("YX-T01", State.ARCHIVED, 45.0, Urgency.NORMAL),
    ("YX-T02", State.PENDING_SIGNOFF, 0.3, Urgency.NORMAL),
    ("YX-T02", State.PENDING_SIGNOFF, 1.2, Urgency.NORMAL),
    ("YX-T02", State.SUBMITTED, 0.8, Urgency.VERY_URGENT),
    ("YX-T02", State.RETURNED, 3.5, Urgency.NORMAL),
    ("YX-T02", State.DRAFT, 2.0, Urgency.NORMAL),
    ("YX-D08", State.PENDING_SIGNOFF, 1.0, Urgency.NORMAL),
    ("YX-T03", State.IN_REVIEW, 0.6, Urgency.URGENT),
)

# Final state by age of the item: old work is decided and filed, recent work is still moving.
# (maximum age in days, {state: weight})
STATE_BY_AGE: tuple[tuple[float, dict[State, float]], ...] = (
    (
        7,
        {
            State.DRAFT: 14,
            State.PENDING_SIGNOFF: 12,
            State.SUBMITTED: 28,
            State.IN_REVIEW: 16,
            State.RETURNED: 8,
            State.RESUBMITTED: 8,
            State.ADOPTED: 10,
            State.DECLINED: 4,
        },
    ),
    (
        21,
        {
            State.DRAFT: 8,
            State.PENDING_SIGNOFF: 8,
            State.SUBMITTED: 12,
            State.IN_REVIEW: 15,
            State.RETURNED: 12,
            State.RESUBMITTED: 10,
            State.ADOPTED: 25,
            State.DECLINED: 10,
        },
    ),
    (
        60,
        {
            State.DRAFT: 5,
            State.PENDING_SIGNOFF: 2,
            State.SUBMITTED: 1,
            State.IN_REVIEW: 2,
            State.RETURNED: 7,
            State.RESUBMITTED: 2,
            State.ADOPTED: 42,
            State.DECLINED: 19,
            State.ARCHIVED: 20,
        },
    ),
    (
        400,
        {
            State.DRAFT: 3,
            State.RETURNED: 2,
            State.ADOPTED: 25,
            State.DECLINED: 20,
            State.ARCHIVED: 50,
        },
    ),
)
CATEGORY_WEIGHTS = {
    content.NEWS: 32,
    content.EXPERIENCE: 36,
    content.PROBLEM: 12,
    content.RESEARCH: 10,
    content.OTHER: 10,
}

OFFICER, LEADER, EDITOR = "officer", "leader", "editor"
MOVE, OFFICER_EDIT, EDITOR_EDIT = "move", "officer_edit", "editor_edit"


@dataclass
class Step:
    kind: str  # MOVE, OFFICER_EDIT or EDITOR_EDIT
    actor: str  # OFFICER, LEADER or EDITOR
    hours: float  # after the previous step
    action: str = ""
    comment: str = ""


@dataclass
class Plan:
    unit: DemoUnit
    state: State
    created: datetime.datetime
    urgency: int
    category: str
    emergency: bool
    steps: list[Step] = field(default_factory=list)


class ItemGenerator:
    """Plans a year of items, performs them through the item services, then backdates them."""

    def __init__(
        self, county: DemoCounty, categories: dict[str, Category], rng: random.Random
    ) -> None:
        self.county = county
        self.categories = categories
        self.rng = rng
        self.now = timezone.now()
        # (real time right after a step was performed, its planned time), in performing order.
        self.marks: list[tuple[datetime.datetime, datetime.datetime]] = []
        self.titles: set[str] = set()
        self.office_close = last_office_moment(self.now - datetime.timedelta(minutes=2))
        for demo_unit in county.units:
            demo_unit.weight = self.unit_weight(demo_unit.spec)

    def unit_weight(self, spec: UnitSpec) -> float:
        """Some units write a lot, some hardly at all (they get 通报批评 at the year's end)."""
        special = {"YX-T01": 3.0, "YX-T02": 2.0, "YX-T18": 0.08, "YX-T21": 0.08}
        if spec.code in special:
            return special[spec.code]
        if spec.is_township:
            return self.rng.uniform(0.6, 1.8)
        return self.rng.uniform(0.2, 0.8)

    def run(self, count: int) -> int:
        plans = [self.showcase_plan(*entry) for entry in SHOWCASE]
        plans += [self.random_plan() for _ in range(count - len(plans))]
        plans.sort(key=lambda plan: plan.created)
        for plan in plans:
            plan.steps = self.plan_steps(plan)
            self.perform(plan)
        self.backdate()
        return len(plans)

    # -- planning ---------------------------------------------------------------------------

    def showcase_plan(self, code: str, state: State, days: float, urgency: Urgency) -> Plan:
        demo_unit = self.county.by_code[code]
        category = content.NEWS if urgency else self.pick_category()
        return Plan(
            demo_unit, state, self.created_at(days), urgency, category, emergency=bool(urgency)
        )

    def random_plan(self) -> Plan:
        rng = self.rng
        units = self.county.units
        demo_unit = rng.choices(units, weights=[u.weight for u in units])[0]
        days = rng.uniform(0, 21) if rng.random() < 0.07 else rng.uniform(0, 362)
        state = self.pick_state(days, demo_unit.spec)
        emergency = demo_unit.spec.front_line and state != State.DRAFT and rng.random() < 0.035
        if emergency:
            urgency = Urgency.VERY_URGENT if rng.random() < 0.3 else Urgency.URGENT
            return Plan(demo_unit, state, self.created_at(days), urgency, content.NEWS, True)
        category = self.pick_category()
        urgent = category == content.NEWS and rng.random() < 0.03
        urgency = Urgency.URGENT if urgent else Urgency.NORMAL
        return Plan(demo_unit, state, self.created_at(days), urgency, category, False)

    def pick_state(self, days: float, spec: UnitSpec) -> State:
        weights = next(table for limit, table in STATE_BY_AGE if days <= limit)
        state = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        if state == State.PENDING_SIGNOFF and not spec.requires_signoff:
            return State.SUBMITTED
        return state

    def pick_category(self) -> str:
        names = list(CATEGORY_WEIGHTS)
        return self.rng.choices(names, weights=list(CATEGORY_WEIGHTS.values()))[0]

    def created_at(self, days: float) -> datetime.datetime:
        """A time in office hours about ``days`` ago (a weekend day moves to a weekday before)."""
        local = timezone.localtime(self.now - datetime.timedelta(days=days))
        minute = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        local = local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59))
        if local.weekday() >= 5:  # to a weekday of the same or the previous week
            local -= datetime.timedelta(days=self.rng.randint(local.weekday() - 4, local.weekday()))
        while local > self.now - datetime.timedelta(hours=1) or local.weekday() >= 5:
            local -= datetime.timedelta(days=1)
        return local

    def plan_steps(self, plan: Plan) -> list[Step]:
        """The moves (and edits) that take a new draft to ``plan.state``. For a unit with 签发,
        a resubmission is signed off again and ends in ``submitted``, not ``resubmitted``."""
        rng = self.rng
        signoff = plan.unit.spec.requires_signoff
        pace = 0.05 if plan.urgency else 1.0
        steps: list[Step] = []

        def add(
            kind: str, actor: str, lo: float, hi: float, action: str = "", comment: str = ""
        ) -> None:
            steps.append(Step(kind, actor, rng.uniform(lo, hi) * pace, action, comment))

        def submit() -> None:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            if signoff:
                add(MOVE, LEADER, 0.5, 24, "approve")

        def review() -> None:
            if rng.random() < 0.3:
                add(EDITOR_EDIT, EDITOR, 0.5, 48)  # an editor's edit starts the review
            else:
                add(MOVE, EDITOR, 0.5, 48, "start_review")

        def return_and_resubmit() -> None:
            review()
            add(MOVE, EDITOR, 1, 48, "return", rng.choice(content.RETURN_COMMENTS))
            add(OFFICER_EDIT, OFFICER, 2, 72)
            add(MOVE, OFFICER, 0.1, 3, "resubmit")
            if signoff:
                add(MOVE, LEADER, 0.5, 24, "approve")

        state = plan.state
        if state == State.DRAFT:
            if signoff and rng.random() < 0.3:
                add(MOVE, OFFICER, 0.3, 30, "submit")
                add(
                    MOVE,
                    LEADER,
                    1,
                    24,
                    "reject_signoff",
                    rng.choice(content.SIGNOFF_REJECT_COMMENTS),
                )
            elif rng.random() < 0.15:
                add(MOVE, OFFICER, 0.3, 30, "submit")
                add(MOVE, OFFICER, 0.5, 20, "withdraw", content.WITHDRAW_COMMENT)
            return steps
        if signoff and rng.random() < 0.12:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            add(MOVE, LEADER, 1, 24, "reject_signoff", rng.choice(content.SIGNOFF_REJECT_COMMENTS))
            add(OFFICER_EDIT, OFFICER, 2, 48)
        elif not signoff and rng.random() < 0.04:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            add(MOVE, OFFICER, 0.5, 20, "withdraw", content.WITHDRAW_COMMENT)
            add(OFFICER_EDIT, OFFICER, 1, 24)
        if state == State.PENDING_SIGNOFF:
            add(MOVE, OFFICER, 0.3, 30, "submit")
            return steps
        submit()
        if state == State.SUBMITTED:
            if signoff and rng.random() < 0.15:
                return_and_resubmit()
        elif state == State.RESUBMITTED:
            return_and_resubmit()
        elif state == State.IN_REVIEW:
            if rng.random() < 0.15:
                return_and_resubmit()
            review()
            if rng.random() < 0.2:
                add(EDITOR_EDIT, EDITOR, 0.2, 6)
        elif state == State.RETURNED:
            if rng.random() < 0.1:
                return_and_resubmit()
            if rng.random() < 0.7:
                review()
            add(MOVE, EDITOR, 1, 48, "return", rng.choice(content.RETURN_COMMENTS))
        else:  # adopted, declined, archived
            adopt = state == State.ADOPTED or (state == State.ARCHIVED and rng.random() < 0.7)
            if rng.random() < (0.2 if adopt else 0.1):
                return_and_resubmit()
            if rng.random() < 0.85:
                review()
            if adopt:
                add(MOVE, EDITOR, 2, 96, "adopt", rng.choice(content.ADOPT_COMMENTS))
            else:
                add(MOVE, EDITOR, 2, 96, "decline", rng.choice(content.DECLINE_COMMENTS))
            if state == State.ARCHIVED:
                add(MOVE, EDITOR, 48, 600, "archive")
        return steps

    def compose(self, plan: Plan) -> drafting.Draft:
        """The plan's text, with a title not used before where twenty tries can find one."""
        draft = self.draft(plan)
        for _ in range(19):
            if draft.title not in self.titles:
                break
            draft = self.draft(plan)
        self.titles.add(draft.title)
        return draft

    def draft(self, plan: Plan) -> drafting.Draft:
        day = timezone.localtime(plan.created).date()
        spec = plan.unit.spec
        if plan.emergency:
            return drafting.compose_emergency(self.rng, spec=spec, day=day)
        themes = drafting.themes_for(spec)
        if plan.category == content.OTHER and self.rng.random() < 0.6:
            themes = (content.THEMES_BY_KEY["info"],)
        theme = self.rng.choice(themes)
        return drafting.compose(self.rng, category=plan.category, theme=theme, spec=spec, day=day)

    # -- performing -------------------------------------------------------------------------

    def timeline(self, plan: Plan) -> list[datetime.datetime]:
        """Planned times of the steps: office hours unless urgent, never later than now (nor,
        unless urgent, than the last office hour before now)."""
        times: list[datetime.datetime] = []
        last = plan.created
        for step in plan.steps:
            at = last + datetime.timedelta(hours=step.hours)
            if not plan.urgency:
                at = max(self.to_office_hours(at), last + datetime.timedelta(minutes=1))
            times.append(at)
            last = at
        latest = self.now - datetime.timedelta(minutes=2)
        if not plan.urgency and self.office_close > plan.created:
            latest = self.office_close
        if times and times[-1] > latest:
            ratio = (latest - plan.created) / (times[-1] - plan.created)
            times = [plan.created + (at - plan.created) * ratio for at in times]
        return times

    def to_office_hours(self, at: datetime.datetime) -> datetime.datetime:
        """``at`` when it falls in office hours (08:30–18:00 on a weekday), otherwise a random
        time in the morning of the next working day."""
        local = timezone.localtime(at)
        if in_office_hours(local):
            return local
        if local.hour >= 18 or local.weekday() >= 5:
            local += datetime.timedelta(days=1)
        while local.weekday() >= 5:
            local += datetime.timedelta(days=1)
        minute = self.rng.randint(8 * 60 + 30, 11 * 60 + 30)
        return local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59))

    def perform(self, plan: Plan) -> None:
        rng = self.rng
        demo_unit = plan.unit
        draft = self.compose(plan)
        officer = demo_unit.officers[0]
        if len(demo_unit.officers) > 1 and rng.random() < 0.2:
            officer = demo_unit.officers[1]
        authors = [officer]
        if len(demo_unit.officers) > 1 and rng.random() < 0.1:
            authors = list(demo_unit.officers)
        co_units: list[Unit] = []
        if rng.random() < 0.03:
            partners = [
                u.unit
                for u in self.county.units
                if u.spec.is_township != demo_unit.spec.is_township
            ]
            co_units = [rng.choice(partners)]
        category = self.categories[plan.category]
        kind = content.EMERGENCY if plan.emergency else plan.category
        actors = {
            OFFICER: officer,
            LEADER: demo_unit.leader,
            EDITOR: rng.choice(self.county.editors),
        }

        def data(title: str, body: str) -> ItemData:
            return ItemData(
                title=title,
                body=body,
                category=category,
                urgency=plan.urgency,
                event_date=draft.event_date,
                keywords=draft.keywords,
                authors=authors,
                co_units=co_units,
            )

        item = item_create(actor=officer, data=data(draft.title, draft.body))
        self.marks.append((timezone.now(), plan.created))
        for step, at in zip(plan.steps, self.timeline(plan), strict=True):
            actor = actors[step.actor]
            if step.kind == MOVE:
                item = transition(item=item, actor=actor, action=step.action, comment=step.comment)
            elif step.kind == OFFICER_EDIT:
                body = drafting.officer_revise(rng, item.body, kind=kind)
                item = item_update(
                    item=item, actor=actor, data=data(item.title, body), version=item.version
                )
            else:
                title, body = drafting.editor_polish(item.title, item.body)
                item = item_update(
                    item=item, actor=actor, data=data(title, body), version=item.version
                )
            self.marks.append((timezone.now(), at))

    def backdate(self) -> None:
        """Move every timestamp the services wrote onto the planned timeline: a time written
        while performing step k becomes step k's planned time."""
        reals = [real for real, _ in self.marks]
        planned = [at for _, at in self.marks]

        def shift(real: datetime.datetime) -> datetime.datetime:
            return planned[min(bisect.bisect_left(reals, real), len(planned) - 1)]

        dept = self.county.dept
        items = list(
            Item.objects.filter(department=dept).only(
                "id", "created_at", "updated_at", "submitted_at", "decided_at"
            )
        )
        for item in items:
            item.created_at = shift(item.created_at)
            item.updated_at = shift(item.updated_at)
            item.submitted_at = shift(item.submitted_at) if item.submitted_at else None
            item.decided_at = shift(item.decided_at) if item.decided_at else None
        Item.objects.bulk_update(
            items, ["created_at", "updated_at", "submitted_at", "decided_at"], batch_size=250
        )
        events = list(ItemEvent.objects.filter(item__department=dept).only("id", "created_at"))
        for event in events:
            event.created_at = shift(event.created_at)
        ItemEvent.objects.bulk_update(events, ["created_at"], batch_size=500)
        revisions = list(Revision.objects.filter(item__department=dept).only("id", "created_at"))
        for revision in revisions:
            revision.created_at = shift(revision.created_at)
        Revision.objects.bulk_update(revisions, ["created_at"], batch_size=500)
