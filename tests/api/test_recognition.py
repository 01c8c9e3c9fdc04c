"""After submission: the story, leaders' instructions, upper-level adoptions and forwarding."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_item, put_in_state
from xinbao.items.models import Item, State
from xinbao.orgs.models import User
from xinbao.publishing.models import ExternalAdoption, Forwarding, Instruction

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]

INSTRUCTION = {
    "level": "市级",
    "leader_title": "市委常委、组织部部长",
    "leader_name": "王某",
    "instructed_on": "2026-01-05",
    "text": "此做法很好,可在全市推广。",
}
ADOPTION = {
    "kind": "newspaper",
    "level": "province",
    "outlet": "某省日报",
    "adopted_on": "2026-01-03",
}


def test_editor_records_an_instruction_and_it_joins_the_story(
    county: County, api: Api, adopted: Callable[..., Item]
) -> None:
    item = adopted()
    response = api(county.editor).post(f"/items/{item.pk}/instructions", INSTRUCTION)
    assert response.status_code == 201
    body = response.json()
    assert (body["level"], body["level_label"], body["item_id"]) == ("city", "市级", item.pk)
    story = api(county.officer_a).get(f"/items/{item.pk}/story").json()
    assert [(line["kind"], line["level"]) for line in story] == [("instruction", "市级")]
    assert "可在全市推广" in story[0]["text"]


def test_editor_records_an_upper_level_adoption(
    county: County, api: Api, adopted: Callable[..., Item]
) -> None:
    item = adopted()
    response = api(county.editor).post(f"/items/{item.pk}/external-adoptions", ADOPTION)
    assert response.status_code == 201
    assert response.json()["kind_label"] == "报刊" and response.json()["level"] == "province"
    assert ExternalAdoption.objects.filter(item=item, outlet="某省日报").exists()


@pytest.mark.parametrize(
    ("path", "payload"),
    [("instructions", INSTRUCTION), ("external-adoptions", ADOPTION)],
)
def test_recognition_refusals(
    county: County, api: Api, adopted: Callable[..., Item], path: str, payload: dict[str, str]
) -> None:
    item = adopted()
    officer = api(county.officer_a).post(f"/items/{item.pk}/{path}", payload)
    assert officer.status_code == 403
    assert officer.json()["detail"] == "只有本部门的编辑可以进行此操作。"
    assert api(county.other_editor).post(f"/items/{item.pk}/{path}", payload).status_code == 404
    date_field = "instructed_on" if path == "instructions" else "adopted_on"
    future = {**payload, date_field: "2999-01-01"}
    late = api(county.editor).post(f"/items/{item.pk}/{path}", future)
    assert late.status_code == 400 and "不能晚于今天" in late.json()["detail"]
    invalid = api(county.editor).post(f"/items/{item.pk}/{path}", {**payload, "level": "宇宙级"})
    assert invalid.status_code == 422 and "level:取值无效" in invalid.json()["detail"]
    assert not Instruction.objects.exists() and not ExternalAdoption.objects.exists()


def test_editor_forwards_an_adopted_item_once(
    county: County, api: Api, adopted: Callable[..., Item]
) -> None:
    item = adopted()
    editor = api(county.editor)
    response = editor.post(f"/items/{item.pk}/forward", {"note": "建议市委组织部采用"})
    assert response.status_code == 201
    body = response.json()
    assert body["to_department"]["name"] == "测试市委组织部" and body["state"] == "pending"
    again = editor.post(f"/items/{item.pk}/forward", {})
    assert again.status_code == 400 and "已转报" in again.json()["detail"]
    story = api(county.officer_a).get(f"/items/{item.pk}/story").json()
    assert [line["kind"] for line in story] == ["forwarding-pending"]


def test_forward_refusals(county: County, api: Api) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    not_adopted = api(county.editor).post(f"/items/{item.pk}/forward", {})
    assert not_adopted.status_code == 400
    assert not_adopted.json()["detail"] == "只能转报本部门已采用的信息。"
    assert api(county.officer_a).post(f"/items/{item.pk}/forward", {}).status_code == 403
    assert api(county.other_editor).post(f"/items/{item.pk}/forward", {}).status_code == 404
    too_long = api(county.editor).post(f"/items/{item.pk}/forward", {"note": "长" * 501})
    assert too_long.status_code == 422
    assert not Forwarding.objects.exists()


def test_story_is_in_scope_only(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a)
    assert api(county.officer_a).get(f"/items/{item.pk}/story").json() == []
    assert api(county.officer_b).get(f"/items/{item.pk}/story").status_code == 404
