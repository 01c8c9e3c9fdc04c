"""Items through the API: the same scope, services and refusals as the pages."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_item, put_in_state
from xinbao.items.models import Item, Revision, State
from xinbao.items.services import transition
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]

NEW = {"title": "甲镇探索“党建+网格”治理新模式", "body": "第一段。\n第二段。", "category": "动态"}


def ids(response: object) -> list[int]:
    return [row["id"] for row in response.json()["items"]]  # type: ignore[attr-defined]


# --- list -------------------------------------------------------------------------------------


def test_list_shows_only_what_the_caller_may_see(county: County, api: Api) -> None:
    draft = make_item(officer=county.officer_a)
    submitted = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    town_b = put_in_state(make_item(officer=county.officer_b), State.SUBMITTED)
    assert ids(api(county.officer_a).get("/items")) == [submitted.pk, draft.pk]
    assert ids(api(county.editor).get("/items")) == [town_b.pk, submitted.pk]
    assert ids(api(county.leader_a).get("/items")) == [submitted.pk]
    assert ids(api(county.other_editor).get("/items")) == []
    assert ids(api(county.sysadmin).get("/items")) == []


def test_list_filters(county: County, api: Api) -> None:
    a = put_in_state(make_item(officer=county.officer_a, title="甲镇党员积分"), State.SUBMITTED)
    b = put_in_state(
        make_item(officer=county.officer_b, title="乙镇村级换届", urgency=2), State.ADOPTED
    )
    Item.objects.filter(pk=b.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=10))
    editor = api(county.editor)
    assert ids(editor.get("/items", {"state": "adopted"})) == [b.pk]
    assert ids(editor.get("/items", {"unit": county.town_a.pk})) == [a.pk]
    assert ids(editor.get("/items", {"unit": county.other_dept.pk})) == []
    assert ids(editor.get("/items", {"q": "换届"})) == [b.pk]
    assert ids(editor.get("/items", {"urgency": 2})) == [b.pk]
    assert ids(editor.get("/items", {"category": "动态"})) == [b.pk, a.pk]
    assert ids(editor.get("/items", {"category": "没有这类"})) == []
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert ids(editor.get("/items", {"submitted_from": since})) == [a.pk]
    assert ids(editor.get("/items", {"submitted_to": since})) == [b.pk]


def test_cursor_pagination_walks_every_item_once(county: County, api: Api) -> None:
    made = [make_item(officer=county.officer_a, title=f"信息{n}").pk for n in range(23)]
    client, seen, cursor, pages = api(county.officer_a), [], None, 0
    while True:
        params: dict[str, object] = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        body = client.get("/items", params).json()
        seen += [row["id"] for row in body["items"]]
        pages += 1
        if pages == 2:  # an item written mid-walk is newer than the walk's position
            make_item(officer=county.officer_a, title="途中新增")
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == sorted(made, reverse=True)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"cursor": "不是游标"}, 400),
        ({"cursor": "eyJpZCI6LTF9"}, 400),
        ({"limit": 0}, 422),
        ({"limit": 101}, 422),
        ({"state": "lost"}, 422),
        ({"unit": "x"}, 422),
        ({"submitted_from": "昨天"}, 422),
    ],
)
def test_list_refuses_bad_parameters_in_chinese(
    county: County, api: Api, params: dict[str, object], status: int
) -> None:
    response = api(county.editor).get("/items", params)
    assert response.status_code == status
    assert any("\u4e00" <= char <= "\u9fff" for char in response.json()["detail"])


# --- create -----------------------------------------------------------------------------------


def test_officer_creates_a_draft_with_category_by_name(county: County, api: Api) -> None:
    response = api(county.officer_a).post(
        "/items",
        {
            **NEW,
            "category": "动态",
            "urgency": "紧急",
            "event_date": timezone.localdate().isoformat(),
            "keywords": "网格,治理",
            "is_internal": True,
            "authors": [county.officer_a.username, county.officer_a2.username],
            "co_units": [county.town_b.pk],
        },
    )
    assert response.status_code == 201
    body = response.json()
    item = Item.objects.get(pk=body["id"])
    assert (item.state, item.unit, item.category.name, item.urgency) == (
        "draft",
        county.town_a,
        "动态",
        1,
    )
    assert body["state"] == "draft" and body["urgency_label"] == "紧急"
    assert body["keywords"] == "网格 治理" and body["is_internal"] is True
    assert {a["username"] for a in body["authors"]} == {"off_a", "off_a2"}
    assert body["co_units"] == [{"id": county.town_b.pk, "name": "乙镇"}]
    assert [m["action"] for m in body["moves"]] == ["submit"]
    assert body["can_edit"] is True


def test_create_with_only_the_three_required_fields(county: County, api: Api) -> None:
    response = api(county.officer_a).post("/items", NEW)
    assert response.status_code == 201
    assert response.json()["urgency"] == 0 and response.json()["authors"][0]["username"] == "off_a"


@pytest.mark.parametrize("case", ["plain", "co_unit", "two_authors"])
def test_create_answers_the_item_as_a_read_of_it_does(county: County, api: Api, case: str) -> None:
    # The answer is built from the item as created, not read back: it must be the same.
    payload: dict[str, object] = {**NEW, "keywords": "网格,治理"}
    if case == "co_unit":
        payload["co_units"] = [county.town_b.pk]
    if case == "two_authors":
        payload["authors"] = [county.officer_a2.username, county.officer_a.username]
        payload["event_date"] = timezone.localdate().isoformat()
    client = api(county.officer_a)
    created = client.post("/items", payload)
    assert created.status_code == 201
    assert created.json() == client.get(f"/items/{created.json()['id']}").json()


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"category": "八卦"}, 400, "未知的信息类别“八卦”"),
        ({"title": "   "}, 400, "请填写标题"),
        ({"event_date": "2999-01-01"}, 400, "事件日期不能晚于今天"),
        ({"authors": ["off_b"]}, 400, "作者必须是本单位的信息员"),
        ({"co_units": [999999]}, 400, "联合报送单位"),
        ({"title": "x" * 201}, 422, "title:不能超过 200 个字"),
        ({"title": None}, 422, "title"),
        ({"urgency": "很急"}, 422, "urgency:取值无效"),
        ({"body": "含有\x00字符"}, 422, "body:含有无效的控制字符"),
        ({"unknown": 1}, 422, "unknown:不是可接受的字段"),
    ],
)
def test_create_refuses_bad_input_with_a_chinese_message(
    county: County, api: Api, change: dict[str, object], status: int, words: str
) -> None:
    response = api(county.officer_a).post("/items", {**NEW, **change})
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert not Item.objects.exists()


def test_co_unit_of_another_county_is_refused(county: County, api: Api) -> None:
    other_town = county.other_officer.unit
    assert other_town is not None
    response = api(county.officer_a).post("/items", {**NEW, "co_units": [other_town.pk]})
    assert response.status_code == 400
    assert "同一组织部门" in response.json()["detail"]


@pytest.mark.parametrize("who", ["editor", "leader_a", "sysadmin"])
def test_only_officers_create(county: County, api: Api, who: str) -> None:
    response = api(getattr(county, who)).post("/items", NEW)
    assert response.status_code == 403
    assert response.json()["detail"] == "只有信息员可以撰写信息。"


def test_malformed_json_is_a_chinese_400(county: County, api: Api) -> None:
    client = api(county.officer_a)
    response = client.client.post(
        "/api/v1/items", "{bad", content_type="application/json", headers=client.headers()
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "请求内容无法解析,请发送有效的 JSON。"


# --- read -------------------------------------------------------------------------------------


def test_get_answers_404_for_an_item_out_of_scope(county: County, api: Api) -> None:
    draft = make_item(officer=county.officer_a)
    assert api(county.officer_a).get(f"/items/{draft.pk}").status_code == 200
    assert api(county.officer_a2).get(f"/items/{draft.pk}").status_code == 200
    for outsider in (
        county.officer_b,
        county.editor,
        county.leader_a,
        county.other_editor,
        county.sysadmin,
    ):
        response = api(outsider).get(f"/items/{draft.pk}")
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到,或您无权查看。"}
    put_in_state(draft, State.SUBMITTED)
    assert api(county.editor).get(f"/items/{draft.pk}").status_code == 200
    assert api(county.other_editor).get(f"/items/{draft.pk}").status_code == 404
    assert api(county.officer_a).get("/items/abc").status_code == 422
    assert api(county.officer_a).get("/items/0").status_code == 422


def test_detail_offers_the_moves_of_the_caller(county: County, api: Api) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    officer = api(county.officer_a).get(f"/items/{item.pk}").json()
    editor = api(county.editor).get(f"/items/{item.pk}").json()
    assert [m["action"] for m in officer["moves"]] == ["withdraw"]
    assert {m["action"] for m in editor["moves"]} == {"start_review", "return", "adopt", "decline"}
    assert {m["action"]: m["needs_comment"] for m in editor["moves"]}["return"] is True
    assert editor["body"] == item.body and editor["department"]["id"] == county.dept.pk


# --- update -----------------------------------------------------------------------------------


def test_officer_patches_a_draft_with_its_version(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a, event_date=timezone.localdate())
    client = api(county.officer_a)
    response = client.patch(
        f"/items/{item.pk}", {"version": 1, "title": "新标题", "event_date": None}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["version"], body["event_date"]) == ("新标题", 2, None)
    assert body["body"] == item.body and body["category"] == "动态"
    stale = client.patch(f"/items/{item.pk}", {"version": 1, "title": "旧稿覆盖"})
    assert stale.status_code == 409
    assert "已被他人修改" in stale.json()["detail"]
    assert Item.objects.get(pk=item.pk).title == "新标题"


def test_patch_keeps_authors_and_co_units_not_given(county: County, api: Api) -> None:
    client = api(county.officer_a)
    created = client.post("/items", {**NEW, "co_units": [county.town_b.pk]}).json()
    body = client.patch(f"/items/{created['id']}", {"version": 1, "keywords": "新"}).json()
    assert body["co_units"] == created["co_units"] and body["authors"] == created["authors"]


def test_editor_patch_starts_review_and_keeps_an_editor_revision(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    body = api(county.editor).patch(f"/items/{item.pk}", {"version": 1, "title": "编辑改过的标题"})
    assert body.status_code == 200
    assert body.json()["state"] == "in_review"
    assert Revision.objects.filter(item=item, kind=Revision.Kind.EDITOR).count() == 1


def test_patch_refusals(county: County, api: Api) -> None:
    submitted = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    officer = api(county.officer_a)
    refused = officer.patch(f"/items/{submitted.pk}", {"version": 1, "title": "改"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "当前状态下您不能修改这条信息。"
    assert (
        api(county.other_editor).patch(f"/items/{submitted.pk}", {"version": 1}).status_code == 404
    )
    assert officer.patch(f"/items/{submitted.pk}", {"title": "缺版本号"}).status_code == 422


# --- transitions ------------------------------------------------------------------------------


def test_submit_and_adopt_through_transitions(county: County, api: Api) -> None:
    officer, editor = api(county.officer_a), api(county.editor)
    item_id = officer.post("/items", NEW).json()["id"]
    submitted = officer.post(f"/items/{item_id}/transitions", {"action": "submit"})
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    adopted = editor.post(f"/items/{item_id}/transitions", {"action": "adopt", "comment": "好稿"})
    assert adopted.status_code == 200 and adopted.json()["state"] == "adopted"


def test_sign_off_unit_goes_through_its_leader(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_b)
    submitted = api(county.officer_b).post(f"/items/{item.pk}/transitions", {"action": "submit"})
    assert submitted.json()["state"] == "pending_signoff"
    approved = api(county.leader_b).post(f"/items/{item.pk}/transitions", {"action": "approve"})
    assert approved.json()["state"] == "submitted"


def test_illegal_move_is_409_with_a_chinese_message(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a)
    response = api(county.officer_a).post(f"/items/{item.pk}/transitions", {"action": "adopt"})
    assert response.status_code == 409
    assert response.json()["detail"] == "状态为“草稿”的信息不能执行此操作。"
    assert Item.objects.get(pk=item.pk).state == State.DRAFT


def test_officer_trying_an_editors_move_is_403(county: County, api: Api) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    response = api(county.officer_a).post(f"/items/{item.pk}/transitions", {"action": "adopt"})
    assert response.status_code == 403
    assert response.json()["detail"] == "您无权对这条信息执行“采用”。"
    assert Item.objects.get(pk=item.pk).state == State.SUBMITTED


def test_other_countys_editor_cannot_reach_the_item(county: County, api: Api) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    response = api(county.other_editor).post(f"/items/{item.pk}/transitions", {"action": "adopt"})
    assert response.status_code == 404
    assert Item.objects.get(pk=item.pk).state == State.SUBMITTED


def test_return_needs_a_comment_and_the_trail_keeps_it(county: County, api: Api) -> None:
    item = put_in_state(make_item(officer=county.officer_a), State.SUBMITTED)
    editor = api(county.editor)
    missing = editor.post(f"/items/{item.pk}/transitions", {"action": "return"})
    assert missing.status_code == 400
    assert missing.json()["detail"] == "“退回修改”须填写意见。"
    done = editor.post(
        f"/items/{item.pk}/transitions", {"action": "return", "comment": "请补充具体数据。"}
    )
    assert done.status_code == 200 and done.json()["state"] == "returned"
    history = api(county.officer_a).get(f"/items/{item.pk}/history").json()
    assert history[-1]["action"] == "return" and history[-1]["action_label"] == "退回修改"
    assert history[-1]["comment"] == "请补充具体数据。"
    assert history[-1]["actor"] == {"username": "ed", "display_name": county.editor.display_name}
    assert (history[-1]["from_state"], history[-1]["to_state"]) == ("submitted", "returned")


@pytest.mark.parametrize(
    "payload", [{"action": "fly"}, {}, {"action": "submit", "comment": "x" * 2001}]
)
def test_transition_validation_errors(county: County, api: Api, payload: dict[str, object]) -> None:
    item = make_item(officer=county.officer_a)
    response = api(county.officer_a).post(f"/items/{item.pk}/transitions", payload)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("请求数据有误")


# --- trail, revisions --------------------------------------------------------------------------


def test_history_and_revisions(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    officer = api(county.officer_a)
    assert [e["action"] for e in officer.get(f"/items/{item.pk}/history").json()] == ["submit"]
    revisions = officer.get(f"/items/{item.pk}/revisions").json()
    assert [(r["number"], r["kind"]) for r in revisions] == [(1, "officer")]
    assert revisions[0]["author"]["username"] == "off_a"
    assert api(county.officer_b).get(f"/items/{item.pk}/history").status_code == 404
    assert api(county.officer_b).get(f"/items/{item.pk}/revisions").status_code == 404
