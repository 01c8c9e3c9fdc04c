"""The messages, notices and topics endpoints: each caller sees only their own or their
department's, opening records the read, replies and declines go through the same services."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from tests.api.conftest import ApiClient
from tests.conftest import County
from xinbao.items.models import Item, State
from xinbao.notify.models import Kind, Notice, NoticeReceipt, Notification
from xinbao.notify.services import NoticeData, notice_publish, notify_users
from xinbao.orgs.models import User
from xinbao.topics.models import Topic, TopicTarget
from xinbao.topics.services import TopicData, topic_create

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]


def issue(county: County) -> Topic:
    return topic_create(
        actor=county.editor,
        data=TopicData(
            title="冬训工作新做法",
            wanted="请反映冬训中的新做法。",
            deadline=timezone.now() + datetime.timedelta(days=3),
            targeting=Topic.Targeting.TOWNSHIPS,
        ),
    )


def test_notifications_list_own_only_and_mark_read(county: County, api: Api) -> None:
    mine = notify_users(recipients=[county.officer_a.pk] * 1, text="一", url="/topics/")
    notify_users(recipients=[county.officer_a.pk], text="二", kind=Kind.NOTICE)
    other = notify_users(recipients=[county.officer_b.pk], text="乙镇的")[0]
    client = api(county.officer_a)
    body = client.get("/notifications").json()
    assert [n["text"] for n in body["items"]] == ["二", "一"]
    assert body["unread_count"] == 2
    assert body["items"][1]["url"] == "/topics/"
    answer = client.post(f"/notifications/{mine[0].pk}/read")
    assert answer.status_code == 200 and answer.json()["read_at"] is not None
    assert client.post(f"/notifications/{other.pk}/read").status_code == 404
    assert [
        n["text"] for n in client.get("/notifications", {"unread": "true"}).json()["items"]
    ] == ["二"]
    assert client.post("/notifications/read").json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=county.officer_a, read_at=None).exists()
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_notices_for_recipients_and_the_department(county: County, api: Api) -> None:
    notice = notice_publish(
        actor=county.editor,
        data=NoticeData(
            category="spirit", title="会议精神", targeting="list", units=[county.town_a]
        ),
    )
    officer = api(county.officer_a)
    listed = officer.get("/notices").json()["items"]
    assert [(n["title"], n["read_at"]) for n in listed] == [("会议精神", None)]
    detail = officer.get(f"/notices/{notice.pk}")
    assert detail.status_code == 200 and detail.json()["category_label"] == "上级会议精神"
    assert NoticeReceipt.objects.get(notice=notice, user=county.officer_a).read_at is not None
    assert officer.get(f"/notices/{notice.pk}/receipts").status_code == 403
    assert api(county.officer_b).get(f"/notices/{notice.pk}").status_code == 404
    assert api(county.officer_b).get("/notices").json()["items"] == []
    editor = api(county.editor)
    assert editor.get("/notices").json()["items"][0] | {"published_at": None} == {
        "id": notice.pk,
        "category": "spirit",
        "category_label": "上级会议精神",
        "title": "会议精神",
        "published_at": None,
        "read_at": None,
        "recipients": 3,
        "read": 1,
    }
    board = editor.get(f"/notices/{notice.pk}/receipts").json()
    assert board["total"] == 3
    assert sorted(r["user"]["username"] for r in board["unread"]) == ["lead_a", "off_a2"]
    assert api(county.other_editor).get(f"/notices/{notice.pk}").status_code == 404
    assert Notice.objects.count() == 1


def test_topics_list_detail_and_board(county: County, api: Api) -> None:
    topic = issue(county)
    officer = api(county.officer_a)
    listed = officer.get("/topics").json()["items"]
    assert [(t["title"], t["mine"]["state"]) for t in listed] == [("冬训工作新做法", "unread")]
    detail = officer.get(f"/topics/{topic.pk}").json()
    assert detail["mine"]["state"] == "read"
    editor = api(county.editor)
    assert editor.get("/topics").json()["items"][0]["targets"] == 2
    board = editor.get(f"/topics/{topic.pk}/board").json()
    assert board["summary"]["read"] == 1 and board["summary"]["unread"] == 1
    assert officer.get(f"/topics/{topic.pk}/board").status_code == 403
    assert api(county.other_editor).get(f"/topics/{topic.pk}").status_code == 404
    assert api(county.other_officer).get(f"/topics/{topic.pk}").status_code == 404


def test_reply_with_an_item_and_decline(county: County, api: Api) -> None:
    topic = issue(county)
    officer = api(county.officer_a)
    answer = officer.post(
        f"/topics/{topic.pk}/items",
        {
            "title": "甲镇冬训“微课堂”",
            "body": "今年冬训,甲镇开设微课堂。",
            "category": "动态",
            "submit": True,
        },
    )
    assert answer.status_code == 201, answer.json()
    item = Item.objects.get(pk=answer.json()["id"])
    assert (item.topic_id, item.state) == (topic.pk, State.SUBMITTED)
    target = TopicTarget.objects.get(topic=topic, unit=county.town_a)
    assert target.outcome == TopicTarget.Outcome.ANSWERED_ON_TIME
    board = api(county.editor).get(f"/topics/{topic.pk}/board").json()
    row = next(r for r in board["rows"] if r["unit"]["id"] == county.town_a.pk)
    assert row["state"] == "answered" and row["items"][0]["id"] == item.pk
    declined = api(county.officer_b).post(f"/topics/{topic.pk}/decline", {"reason": "本镇无此情况"})
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    again = api(county.officer_b).post(f"/topics/{topic.pk}/decline", {"reason": "再说一次"})
    assert again.status_code == 400 and "已经说明过" in again.json()["detail"]
    assert (
        api(county.editor).post(f"/topics/{topic.pk}/decline", {"reason": "x"}).status_code == 403
    )


def test_instruction_with_feedback_due_and_the_units_feedback(
    county: County, api: Api, adopted: Callable[..., Item]
) -> None:
    item = adopted()
    today = timezone.localdate()
    created = api(county.editor).post(
        f"/items/{item.pk}/instructions",
        {
            "level": "city",
            "leader_title": "市委书记",
            "instructed_on": today.isoformat(),
            "text": "请总结推广。",
            "feedback_due_on": (today + datetime.timedelta(days=5)).isoformat(),
        },
    )
    assert created.status_code == 201, created.json()
    instruction_id = created.json()["id"]
    officer = api(county.officer_a)
    before = officer.get(f"/instructions/{instruction_id}/feedback").json()
    assert before["feedback_due_on"] == (today + datetime.timedelta(days=5)).isoformat()
    assert before["feedback_at"] is None
    done = officer.post(f"/instructions/{instruction_id}/feedback", {"text": "已在全镇推广。"})
    assert done.status_code == 200
    assert done.json()["feedback_by"]["username"] == "off_a"
    assert done.json()["feedback_text"] == "已在全镇推广。"
    outsider = api(county.officer_b).post(f"/instructions/{instruction_id}/feedback", {"text": "x"})
    assert outsider.status_code == 404
