"""The OpenAPI document against the running application, in process: schemathesis generates
requests from the document for every operation (with an officer's and an editor's token) and
checks every answer: no server error, only documented status codes and content types, bodies
that match their schemas, authentication enforced, invalid input refused; and the other
county's editor, sent the same requests on this county's objects, reaches none of them."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.overrides import Override

from tests.conftest import County
from tests.factories import make_attachment, make_item, put_in_state
from xinbao.api.services import token_create
from xinbao.items.models import Item, State
from xinbao.items.services import transition
from xinbao.notify.models import Notification
from xinbao.notify.services import NoticeData, notice_publish
from xinbao.publishing.models import Publication
from xinbao.publishing.services import instruction_record, issue_add_item, issue_create
from xinbao.scoring.models import ManualAdjustment
from xinbao.topics.models import Topic
from xinbao.topics.services import TopicData, topic_create
from xinbao.transfer.models import DepartmentExport

TOKENS: dict[str, str] = {}
FOREIGN: list[int] = []  # the other county's editor's answers
PINNED: dict[str, int] = {}

# Every check runs, with the project's settings (see schemathesis.toml for why 400 is an
# expected answer to schema-valid data too).
CONFIG = SchemathesisConfig.from_path(Path(__file__).resolve().parents[2] / "schemathesis.toml")


@pytest.fixture
def api_schema(county: County, settings: Any) -> Iterator[Any]:
    settings.XINBAO_API_RATE_PER_MINUTE = 100_000
    settings.XINBAO_API_LOGIN_RATE_PER_MINUTE = 100_000
    # The in-process server shares the test's transaction: Django must not close the connection
    # at the end of each request as it would in a real server.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    items = {
        state: put_in_state(make_item(officer=county.officer_a, title=f"样例{state}"), state)
        for state in (State.DRAFT, State.SUBMITTED, State.RETURNED)
    }
    adopted = make_item(officer=county.officer_a, title="样例已采用")
    transition(item=adopted, actor=county.officer_a, action="submit")
    transition(item=adopted, actor=county.editor, action="adopt")
    publication = Publication.objects.create(
        department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
    )
    issue = issue_create(publication=publication, actor=county.editor)
    issue_add_item(issue=issue, item=adopted, actor=county.editor)
    topic = topic_create(
        actor=county.editor,
        data=TopicData(
            title="样例约稿",
            wanted="样例",
            deadline=timezone.now() + datetime.timedelta(days=3),
            targeting=Topic.Targeting.TOWNSHIPS,
        ),
    )
    notice = notice_publish(
        actor=county.editor, data=NoticeData(category="notice", title="样例通知", targeting="all")
    )
    instruction = instruction_record(
        item=Item.objects.get(pk=adopted.pk),
        actor=county.editor,
        level="city",
        leader_title="市委书记",
        leader_name="",
        instructed_on=timezone.localdate(),
        text="样例批示",
        feedback_due_on=timezone.localdate(),
    )
    PINNED.update(
        instruction_id=instruction.pk,
        topic_id=topic.pk,
        notice_id=notice.pk,
        notification_id=Notification.objects.filter(recipient=county.officer_a).latest("pk").pk,
    )
    PINNED.update(
        item_id=items[State.SUBMITTED].pk,
        attachment_id=make_attachment(item=items[State.SUBMITTED]).pk,
        publication_id=publication.pk,
        issue_id=issue.pk,
        officer_id=county.officer_a.pk,
        unit_id=county.town_a.pk,  # dashboard/units/{unit_id}
        adjustment_id=ManualAdjustment.objects.create(
            department=county.dept,
            year=timezone.localdate().year,
            unit=county.town_a,
            kind=ManualAdjustment.Kind.OTHER,
            occurred_on=timezone.localdate(),
            reason="样例扣分",
            created_by=county.editor,
        ).pk,
        # a queued archive export: its progress answers, its file is not there yet (404)
        export_id=DepartmentExport.objects.create(
            department=county.dept, started_by=county.editor
        ).pk,
    )
    TOKENS["officer"] = token_create(user=county.officer_a, name="schemathesis")[1]
    TOKENS["editor"] = token_create(user=county.editor, name="schemathesis")[1]
    TOKENS["other county"] = token_create(user=county.other_editor, name="schemathesis")[1]
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Operations the run must not call at random: revoking a token could revoke the run's own.
SKIPPED = {("DELETE", "/api/v1/auth/tokens/{token_id}")}


def test_api_conforms_to_its_openapi_document(api_schema: Any) -> None:
    """Each operation through schemathesis' own phases (the examples in the document, the
    coverage cases built from each constraint, then fuzzing with data that fits and data that
    does not) with random ids, which mostly miss; then fuzzed again with the ids of objects that
    exist, so that answers carrying objects are checked too. The tests are built with
    schemathesis' test builder rather than its pytest plugin, whose lazy schemas do not run on
    this pytest version."""
    tested = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        exercise(api_schema, operation, list(HypothesisTestMode), Override())
        if names := re.findall(r"{(\w+)}", operation.path):
            existing = Override(path_parameters={name: PINNED[name] for name in names})
            exercise(api_schema, operation, [HypothesisTestMode.FUZZING], existing)
            exercise(api_schema, operation, [HypothesisTestMode.FUZZING], existing, foreign=True)
        tested += 1
    assert tested >= 20
    # Refused for the objects themselves (403/404), not only for a malformed request.
    assert FOREIGN.count(404) + FOREIGN.count(403) > len(FOREIGN) // 2, sorted(set(FOREIGN))


def exercise(
    schema: Any,
    operation: Any,
    modes: list[HypothesisTestMode],
    override: Override,
    *,
    foreign: bool = False,
) -> None:
    """``foreign``: the same requests from the other county's editor instead, on this
    county's objects (the path's ids), which it must never reach."""

    def call(case: Any) -> None:
        if not foreign:
            for role in ("officer", "editor"):
                case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS[role]}"})
        else:
            response = case.call(headers={"Authorization": f"Bearer {TOKENS['other county']}"})
            FOREIGN.append(response.status_code)
            assert response.status_code in (400, 401, 403, 404, 422), (
                case.method,
                case.formatted_path,
                response.status_code,
                response.text[:200],
            )

    test = create_test(
        operation=operation,
        test_func=call,
        config=HypothesisTestConfig(
            project=schema.config,
            modes=modes,
            settings=hypothesis_settings(
                max_examples=10,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
            override=override,
        ),
    )
    test()
