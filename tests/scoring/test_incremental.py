"""Incremental ledger updates: after any sequence of fact changes, refreshing only the affected
units (``scoring.signals`` → ``ledger.refresh``) leaves the ledger equal to a full rebuild."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import County
from tests.factories import category, make_unit
from tests.scoring.conftest import YEAR, carry
from xinbao.items.models import Item
from xinbao.orgs.models import Unit
from xinbao.publishing.models import ExternalAdoption, Instruction, IssueEntry, Publication
from xinbao.scoring import ledger, signals
from xinbao.scoring.models import ItemReview, ManualAdjustment, RuleSet, ScoreEntry
from xinbao.scoring.rules import DEMO_RULES
from xinbao.scoring.services import unit_classes_set
from xinbao.topics.models import Topic, TopicTarget

pytestmark = pytest.mark.django_db
LONG = "基层党组织建设情况。" * 30

months = st.integers(min_value=1, max_value=11)
item_index = st.integers(min_value=0, max_value=3)
unit_index = st.integers(0, 1)
op = st.just
operations = st.one_of(
    st.tuples(op("carry"), item_index, st.sampled_from(["county", "web", "city"]), months),
    st.tuples(op("external"), item_index, st.sampled_from(["city", "province"]), months),
    st.tuples(op("instruction"), item_index, st.sampled_from(["county", "city"]), months),
    st.tuples(
        op("review"),
        item_index,
        st.sampled_from(["regular", "reference", "photo"]),
        st.integers(min_value=40, max_value=100),
    ),
    st.tuples(op("deduction"), unit_index, st.sampled_from(["inaccurate", "other"]), months),
    st.tuples(
        op("topic"),
        unit_index,
        st.sampled_from(["missed", "answered_late", "answered_on_time"]),
        months,
    ),
    st.tuples(op("joint"), item_index, unit_index, months),
    st.tuples(op("uncarry"), item_index, op(""), months),
    # A unit's assessment class (quotas key on it), set as the editors' page does.
    st.tuples(op("class"), op(0), st.sampled_from(["dept_a", "dept_b", "dept_c", "office"]), op(1)),
    # A deduction about one item: its writer's row too (officer attribution).
    st.tuples(op("item_deduction"), item_index, st.sampled_from(["inaccurate", "other"]), months),
)


def signature_of_ledger(county: County) -> Counter[tuple[Any, ...]]:
    return Counter(
        ledger.entry_signature(e) for e in ScoreEntry.objects.filter(department=county.dept)
    )


def full(county: County) -> Counter[tuple[Any, ...]]:
    rules = RuleSet.objects.get(department=county.dept, year=YEAR).rules
    lines = ledger.compute(county.dept, YEAR, rules, timezone.localdate())
    return Counter(line.signature() for line in lines)


Pubs = dict[str, Publication]


def apply(
    step: tuple[Any, ...], county: County, items: list[Item], pubs: Pubs, department: Any = None
) -> None:
    kind, index, arg, value = step
    units = [county.town_a, county.town_b]
    on = datetime.date(YEAR, value, 15) if kind != "review" else None
    if kind == "carry":
        carry(items[index], pubs[arg], on=on)  # type: ignore[arg-type]
    elif kind == "external":
        ExternalAdoption.objects.create(
            item=items[index], level=arg, outlet="省委组工信息", adopted_on=on,
            recorded_by=county.editor,
        )  # fmt: skip
    elif kind == "instruction":
        Instruction.objects.create(
            item=items[index], level=arg, leader_title="书记", instructed_on=on, text="阅。",
            recorded_by=county.editor,
        )  # fmt: skip
    elif kind == "review":
        ItemReview.objects.update_or_create(
            item=items[index], defaults={"kind": arg, "score": Decimal(value),
                                         "reviewed_by": county.editor},
        )  # fmt: skip
    elif kind == "deduction":
        ManualAdjustment.objects.create(
            department=county.dept, year=YEAR, unit=units[index], kind=arg, occurred_on=on,
            reason="核查", created_by=county.editor,
        )  # fmt: skip
    elif kind == "topic":
        deadline = timezone.make_aware(datetime.datetime(YEAR, value, 20, 18))
        topic = Topic.objects.create(
            department=county.dept, title=f"约稿{value}", wanted="请报送。", deadline=deadline,
            targeting=Topic.Targeting.LIST, created_by=county.editor,
        )  # fmt: skip
        TopicTarget.objects.create(topic=topic, unit=units[index], outcome=arg)
    elif kind == "joint":
        items[index].co_units.add(units[1])
    elif kind == "class":
        unit_classes_set(actor=county.editor, department=county.dept, classes={department.pk: arg})
    elif kind == "item_deduction":
        item = items[index]
        ManualAdjustment.objects.create(
            department=county.dept, year=YEAR, unit=item.unit, item=item, kind=arg,
            occurred_on=on, reason="核查", created_by=county.editor,
        )  # fmt: skip
    elif kind == "uncarry":
        entry = IssueEntry.objects.filter(item=items[index]).order_by("-id").first()
        if entry is not None:
            entry.delete()


@pytest.fixture
def scene(county: County, submitted: Callable[..., Item], publications: Pubs) -> Any:
    RuleSet.objects.create(department=county.dept, year=YEAR, name="演示", rules=DEMO_RULES)
    items = [
        submitted(title=f"信息{n}", body=LONG, on=datetime.date(YEAR, n + 1, 3),
                  category=category("动态"),
                  officer=county.officer_a if n % 2 == 0 else county.officer_b)
        for n in range(4)
    ]  # fmt: skip
    # A county department, no items: its quota lines follow its class.
    department = make_unit(name="县财政局", kind=Unit.Kind.DEPARTMENT, parent=county.dept)
    ledger.rebuild(county.dept, YEAR)
    return county, items, publications, department


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=8))
def test_incremental_updates_equal_a_full_rebuild(scene: Any, ops: list[tuple[Any, ...]]) -> None:
    county, items, pubs, department = scene
    with transaction.atomic():
        for step in ops:
            apply(step, county, items, pubs, department)
            signals.flush()  # what the commit of the fact's transaction runs
            assert signature_of_ledger(county) == full(county), step
        transaction.set_rollback(True)
    signals.flush()


def test_a_fact_updates_the_ledger_after_commit_and_only_its_units(
    scene: Any, django_capture_on_commit_callbacks: Any
) -> None:
    county, items, pubs, _department = scene
    b_rows = list(ScoreEntry.objects.filter(unit=county.town_b).values_list("id", "computed_at"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry = carry(items[0], pubs["city"], on=datetime.date(YEAR, 4, 2))
        # Nothing yet: the fact's transaction has not committed.
        assert not ScoreEntry.objects.filter(fact_id=f"entry:{entry.pk}").exists()
    assert callbacks
    for callback in callbacks:
        callback()
    line = ScoreEntry.objects.get(fact_id=f"entry:{entry.pk}")
    assert (line.unit, line.points, line.officer) == (county.town_a, Decimal(10), county.officer_a)
    # Town B's rows were not rewritten.
    after = ScoreEntry.objects.filter(unit=county.town_b).values_list("id", "computed_at")
    assert list(after) == b_rows


def test_a_review_marking_an_item_reference_pays_five_and_a_low_rubric_nothing(
    scene: Any, django_capture_on_commit_callbacks: Any
) -> None:
    county, items, pubs, _department = scene
    with django_capture_on_commit_callbacks(execute=True):
        entry = carry(items[0], pubs["county"], on=datetime.date(YEAR, 3, 2))
    assert ScoreEntry.objects.get(fact_id=f"entry:{entry.pk}").points == 2
    with django_capture_on_commit_callbacks(execute=True):
        ItemReview.objects.create(
            item=items[0], kind="reference", score=Decimal(80), reviewed_by=county.editor
        )
    line = ScoreEntry.objects.get(fact_id=f"entry:{entry.pk}")
    assert (line.points, line.item_kind, line.rule) == (
        Decimal(5),
        "reference",
        "kind_points.reference.periodical.county",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ItemReview.objects.filter(item=items[0]).update(score=Decimal(55))
        ItemReview.objects.get(item=items[0]).save()
    line = ScoreEntry.objects.get(fact_id=f"entry:{entry.pk}")
    assert (line.points, line.rule) == (Decimal(0), "quality.min_rubric")
    assert "质量得分55分,未达到60分的质量要求" in line.reason


def test_a_move_that_changes_only_the_state_notes_no_ledger_work(
    county: County, django_capture_on_commit_callbacks: Any
) -> None:
    """The ledger reads no item's workflow state, nor a timeliness record's clocks after
    arrival: the county's adoption (state, decision time, first action, adoption time) leaves
    the ledger as it is and needs no refresh, while the submission before it does."""
    from tests.factories import make_item
    from xinbao.dashboard import signals as dashboard_signals
    from xinbao.items.services import transition

    year = timezone.localdate().year  # of the submission
    RuleSet.objects.create(department=county.dept, year=year, name="演示", rules=DEMO_RULES)
    item = make_item(officer=county.officer_a, title="某镇信息", body=LONG)
    with django_capture_on_commit_callbacks(execute=False):
        transition(item=item, actor=county.officer_a, action="submit")
    assert signals.noted_rows() == {("ledger", county.dept.pk, year, county.town_a.pk)}
    ledger.rebuild(county.dept, year)
    before = signature_of_ledger(county)
    assert before, "the submission counts towards the quotas"
    with django_capture_on_commit_callbacks(execute=False):
        transition(item=item, actor=county.editor, action="adopt")
    assert signals.noted_rows() == set()
    ledger.rebuild(county.dept, year)
    assert signature_of_ledger(county) == before
    dashboard_signals.noted_rows()  # the dashboards' notes are another test's
