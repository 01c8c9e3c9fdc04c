"""Every operation of the OpenAPI document, checked the same way, so an endpoint is covered the
day it is added: without a token it answers 401; an administrator's token (三员分立: no business
role) reaches no business operation; from each kind of business user a body of the wrong shape
is refused with a Chinese message and writes nothing, as is an undeclared query parameter or
an id that is not a number; another county's editor reaches none of this county's objects,
also with a body this county's editor gets past validation with. Success, permission and
illegal-move cases of each endpoint are in the endpoint's own test module (test_items,
test_publishing, test_recognition, …)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_attachment
from xinbao.api.main import api as ninja_api
from xinbao.api.services import token_create
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Item
from xinbao.orgs.models import User
from xinbao.publishing.models import Instruction, Level, Publication, PublicationIssue
from xinbao.scoring.models import ManualAdjustment
from xinbao.topics.models import Topic, TopicTarget
from xinbao.transfer.models import DepartmentExport

Api = Callable[[User | None], ApiClient]
PREFIX = "/api/v1"
# From the routers, not the OpenAPI document (which reads the categories from the database):
# the same operations, known when the tests are collected.
OPERATIONS = sorted(
    (method, re.sub(r"\{\w+:(\w+)\}", r"{\1}", prefix + path))
    for prefix, router in ninja_api._routers
    for path, view in router.path_operations.items()
    for operation in view.operations
    for method in operation.methods
)
WRITES = [op for op in OPERATIONS if op[0] in ("POST", "PUT", "PATCH")]
# What an account without a business role may still do with the API: its own tokens and who it is.
ADMIN_ALLOWED = {
    ("POST", "/auth/token"),
    ("GET", "/auth/tokens"),
    ("DELETE", "/auth/tokens/{token_id}"),
    ("GET", "/me"),
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def ids(county: County, adopted: Callable[..., Item]) -> dict[str, int]:
    """One real object for every id a path can hold (town A's adopted item and what hangs on
    it, the county's publication, issue, topic and instruction)."""
    item = adopted()
    attachment = make_attachment(item=item)
    publication = Publication.objects.create(
        department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
    )
    issue = PublicationIssue.objects.create(publication=publication, created_by=county.editor)
    topic = Topic.objects.create(
        department=county.dept,
        title="约稿",
        wanted="请报送",
        deadline=timezone.now() + datetime.timedelta(days=7),
        targeting=Topic.Targeting.LIST,
        created_by=county.editor,
    )
    TopicTarget.objects.create(topic=topic, unit=county.town_a)
    instruction = Instruction.objects.create(
        item=item,
        level=Level.COUNTY,
        leader_title="县委书记",
        instructed_on=timezone.localdate(),
        text="很好",
        recorded_by=county.editor,
    )
    adjustment = ManualAdjustment.objects.create(
        department=county.dept,
        year=item.created_at.year,
        unit=county.town_a,
        kind=ManualAdjustment.Kind.OTHER,
        occurred_on=timezone.localdate(),
        reason="其他",
        created_by=county.editor,
    )
    return {
        "adjustment_id": adjustment.pk,
        "item_id": item.pk,
        "attachment_id": attachment.pk,
        "publication_id": publication.pk,
        "issue_id": issue.pk,
        "topic_id": topic.pk,
        "instruction_id": instruction.pk,
        "unit_id": county.town_a.pk,
        "officer_id": county.officer_a.pk,
        "notification_id": 1,
        "notice_id": 1,
        "token_id": 1,
        "export_id": DepartmentExport.objects.create(
            department=county.dept, started_by=county.editor
        ).pk,
    }


def concrete(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


def call(client: ApiClient, method: str, path: str, body: Any = None) -> Any:
    if method == "GET":
        return client.get(path)
    if method == "DELETE":
        return client.delete(path)
    if method == "POST":
        return client.post(path, body)
    return getattr(client.client, method.lower())(
        PREFIX + path,
        __import__("json").dumps(body if body is not None else {}),
        content_type="application/json",
        headers=client.headers(),
    )


def assert_chinese_refusal(response: Any, statuses: set[int]) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert CJK.search(response.json()["detail"]), response.json()


@pytest.mark.parametrize(
    ("method", "path"), [op for op in OPERATIONS if op[0:2] != ("POST", "/auth/token")]
)
def test_every_operation_answers_401_without_a_token(
    api: Api, ids: dict[str, int], method: str, path: str
) -> None:
    assert_chinese_refusal(call(api(None), method, concrete(path, ids)), {401})


def holds_nothing(value: Any) -> bool:
    """An answer with no business data in it: empty lists, counts of zero, nothing else."""
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        return all(holds_nothing(v) or v is None for v in value.values())
    return value in (0, None)


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op not in ADMIN_ALLOWED])
def test_an_administrator_reaches_no_business_operation(
    county: County, api: Api, ids: dict[str, int], method: str, path: str
) -> None:
    """三员分立: a refusal, or (for a list of the caller's own scope) an empty answer; a body it
    sends is checked before anything else, so a refusal may also be about the body."""
    client = api(county.sysadmin)  # creating the token is audited: look after it
    before = AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = call(client, method, concrete(path, ids), {})
    if response.status_code == 200:
        assert holds_nothing(response.json()), response.json()
    else:
        assert_chinese_refusal(response, {400, 401, 403, 404, 422})
    assert not AuditRecord.objects.filter(pk__gt=before, success=True).exists()


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op not in ADMIN_ALLOWED])
def test_another_countys_editor_reaches_none_of_this_countys_objects(
    county: County, api: Api, ids: dict[str, int], method: str, path: str
) -> None:
    if "{" not in path or path.startswith(("/notifications", "/notices")):
        pytest.skip("no object of this county in the path (lists are scoped: test_items, …)")
    response = call(api(county.other_editor), method, concrete(path, ids), {})
    assert_chinese_refusal(response, {400, 403, 404, 422})


def wrong_shape(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A body of the wrong shape for ``schema``: every property of the wrong type."""
    ref = schema.get("$ref")
    if ref:
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    properties = schema.get("properties")
    if not properties:
        return ["不是对象"]
    wrong = {"string": 12345, "integer": "不是数字", "number": "不是数字", "boolean": "也许"}
    body: dict[str, Any] = {}
    for name, spec in properties.items():
        kind = spec.get("type") or next(
            (s.get("type") for s in spec.get("anyOf", []) if s.get("type") != "null"), "object"
        )
        body[name] = wrong.get(kind, 12345) if kind not in ("array", "object") else "不是列表"
    return body


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("who", ["officer_a", "editor", "dept_leader"])
def test_a_body_of_the_wrong_shape_is_refused_in_chinese_and_writes_nothing(
    county: County, api: Api, ids: dict[str, int], method: str, path: str, who: str
) -> None:
    document = ninja_api.get_openapi_schema()
    content = document["paths"][PREFIX + path][method.lower()].get("requestBody", {})
    schema = content.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        pytest.skip("no JSON body (an upload or a bare action: their own tests)")
    client = api(getattr(county, who))
    before = (AuditRecord.objects.count(), Item.objects.count())
    for body in (wrong_shape(document, schema), ["不是对象"]):
        response = call(client, method, concrete(path, ids), body)
        assert_chinese_refusal(response, {400, 401, 403, 404, 409, 422})
    assert (AuditRecord.objects.count(), Item.objects.count()) == before


def test_the_census_covers_the_whole_document(db: None) -> None:
    document = ninja_api.get_openapi_schema()
    documented = sorted(
        (method.upper(), path.removeprefix(PREFIX))
        for path, ops in document["paths"].items()
        for method in ops
    )
    assert documented == OPERATIONS
    assert ("POST", "/items/{item_id}/transitions") in WRITES


def test_an_administrator_token_still_lists_its_own_tokens(county: County, api: Api) -> None:
    token, secret = token_create(user=county.sysadmin, name="管理")
    response = ApiClient(secret).get("/auth/tokens")
    assert response.status_code in (200, 401, 403)
    if response.status_code == 200:
        assert [t["id"] for t in response.json()] == [token.pk]


def valid_shape(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A body the schema accepts: each required property with a plain value of its type
    (the first of an enum, today for a date)."""
    ref = schema.get("$ref")
    if ref:
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        return valid_shape(document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        required = schema.get("required", [])
        return {
            name: valid_shape(document, spec)
            for name, spec in schema.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        return [valid_shape(document, schema["items"])] * schema.get("minItems", 0)
    if kind == "string":
        if schema.get("format") == "date":
            return timezone.localdate().isoformat()
        if schema.get("format") == "date-time":
            return timezone.now().isoformat()
        return "测试" * max(1, (schema.get("minLength", 1) + 1) // 2)
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    return False  # boolean


OBJECT_WRITES = [
    op
    for op in WRITES
    if "{" in op[1] and not op[1].startswith(("/notifications", "/notices", "/auth/"))
]


@pytest.mark.parametrize(("method", "path"), OBJECT_WRITES)
def test_another_countys_editor_is_refused_a_write_with_a_body_the_schema_accepts(
    county: County, api: Api, ids: dict[str, int], method: str, path: str
) -> None:
    """The refusal above could come from the body (``{}`` lacks required fields, 422) before
    any permission check: here the body is one this county's editor gets past validation
    with (not 422), and the other county's editor is refused for the object itself."""
    document = ninja_api.get_openapi_schema()
    content = document["paths"][PREFIX + path][method.lower()].get("requestBody", {})
    schema = content.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        pytest.skip("no JSON body: the check above already reaches the permission")
    body = valid_shape(document, schema)
    other_editor, editor = api(county.other_editor), api(county.editor)
    before = AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    foreign = call(other_editor, method, concrete(path, ids), body)
    assert_chinese_refusal(foreign, {403, 404})
    assert not AuditRecord.objects.filter(pk__gt=before, success=True).exists()
    own = call(editor, method, concrete(path, ids), body)
    assert own.status_code != 422, (body, own.content[:300])


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op not in ADMIN_ALLOWED])
def test_every_operation_refuses_bad_input_in_chinese_and_writes_nothing(
    county: County, api: Api, ids: dict[str, int], method: str, path: str
) -> None:
    """Each endpoint's validation error: a query parameter it does not declare (a misspelt
    filter is never ignored) and, in a path with an id, an id that is not a number."""
    client = api(county.editor)
    before = AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = call(client, method, concrete(path, ids) + "?no_such_parameter=1", {})
    assert_chinese_refusal(response, {422})
    if "{" in path:
        bad = re.sub(r"\{\w+\}", "不是编号", path, count=1)
        response = call(client, method, concrete(bad, ids), {})
        assert_chinese_refusal(response, {404, 422})
    assert not AuditRecord.objects.filter(pk__gt=before, success=True).exists()
