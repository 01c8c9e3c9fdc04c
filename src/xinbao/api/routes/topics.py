"""Topics (约稿): the department's editors and leaders list their topics and see each one's board
(every target unit's state); a target unit's officers and leaders list the topics sent to them,
open one (recorded as read), answer it with an item or decline it with a reason."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool

from xinbao.api.auth import ApiRequest
from xinbao.api.pagination import page_by_id
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.routes.items import category_named
from xinbao.api.schemas import Input, PageParams, Text, UnitRef
from xinbao.items.errors import NotAllowed
from xinbao.items.models import Item
from xinbao.items.services import ItemData, item_create, transition
from xinbao.orgs.models import Role
from xinbao.topics import queries, services
from xinbao.topics.models import Topic, TopicTarget

router = Router(tags=["约稿"])

DEPARTMENT = (Role.EDITOR, Role.DEPT_LEADER)
UNITS = (Role.OFFICER, Role.UNIT_LEADER)


class TargetOut(Schema):
    unit: UnitRef
    state: str = Field(description="adopted/answered/declined/overdue/read/unread")
    state_label: str
    outcome: str = Field(description="pending/answered_on_time/answered_late/missed")
    read_at: datetime.datetime | None
    answered_at: datetime.datetime | None
    declined_at: datetime.datetime | None
    decline_reason: str

    @classmethod
    def build(cls, t: TopicTarget, topic: Topic, now: datetime.datetime) -> TargetOut:
        state = t.board_state(topic.deadline, now)
        return cls(
            unit=UnitRef.build(t.unit),
            state=state.value,
            state_label=state.label,
            outcome=t.outcome,
            read_at=t.read_at,
            answered_at=t.answered_at,
            declined_at=t.declined_at,
            decline_reason=t.decline_reason,
        )


class TopicOut(Schema):
    id: int
    title: str
    wanted: str
    requirements: str
    deadline: datetime.datetime
    state: str
    state_label: str
    key_work_area: str | None
    targets: int | None = Field(description="约稿单位数(部门人员可见)")
    answered: int | None = Field(description="已回复单位数(部门人员可见)")
    mine: TargetOut | None = Field(description="本单位的办理情况(约稿单位人员可见)")

    @classmethod
    def build(cls, topic: Topic, *, mine: TargetOut | None = None) -> TopicOut:
        return cls(
            id=topic.pk,
            title=topic.title,
            wanted=topic.wanted,
            requirements=topic.requirements,
            deadline=topic.deadline,
            state=topic.state,
            state_label=str(topic.get_state_display()),
            key_work_area=topic.key_work_area.name if topic.key_work_area else None,
            targets=getattr(topic, "n_targets", None),
            answered=getattr(topic, "n_answered", None),
            mine=mine,
        )


class TopicPage(Schema):
    items: list[TopicOut]
    next_cursor: str | None


class AnswerItem(Schema):
    id: int
    title: str
    state: str

    @classmethod
    def build(cls, item: Item) -> AnswerItem:
        return cls(id=item.pk, title=item.title, state=item.state)


class BoardRowOut(TargetOut):
    items: list[AnswerItem]


class BoardOut(Schema):
    topic_id: int
    summary: dict[str, int] = Field(description="各状态的单位数")
    rows: list[BoardRowOut]


class TopicReply(Input):
    title: Text = Field(min_length=1, max_length=200, description="标题")
    body: Text = Field(min_length=1, max_length=20000, description="正文,每段一行")
    category: Text = Field(max_length=30, description="信息类别的中文名称,如“动态”")
    submit: StrictBool = Field(False, description="写好即报送(否则存为草稿)")


class TopicDecline(Input):
    reason: Text = Field(min_length=1, max_length=500, description="不报原因")


def check_roles(request: ApiRequest, *roles: str) -> None:
    if not request.user.has_role(*roles):
        raise NotAllowed(_("只有组织部门人员和约稿单位的信息员、分管领导可以查看约稿。"))


@router.get(
    "/topics",
    response={200: TopicPage, **READ_ERRORS},
    summary="约稿(从新到旧)",
    description="部门人员:本部门发出的约稿,带回复单位数;单位人员:发给本单位的约稿,带本单位的办理情况。",
)
def topic_list(request: ApiRequest, page: Query[PageParams]) -> TopicPage:
    check_roles(request, *DEPARTMENT, *UNITS)
    user = request.user
    now = timezone.now()
    if user.role in DEPARTMENT:
        rows, next_cursor = page_by_id(queries.department_topics(user), page.cursor, page.limit)
        return TopicPage(items=[TopicOut.build(t) for t in rows], next_cursor=next_cursor)
    targets = queries.unit_targets(user).select_related("topic__key_work_area", "unit")
    rows_t, next_cursor = page_by_id(targets, page.cursor, page.limit)
    items = [TopicOut.build(t.topic, mine=TargetOut.build(t, t.topic, now)) for t in rows_t]
    return TopicPage(items=items, next_cursor=next_cursor)


def own_target(request: ApiRequest, topic: Topic) -> TargetOut | None:
    target = queries.target_of(topic, request.user.unit_id)
    if target is None or request.user.role in DEPARTMENT:
        return None
    return TargetOut.build(target, topic, timezone.now())


@router.get(
    "/topics/{topic_id}",
    response={200: TopicOut, **READ_ERRORS},
    summary="一个约稿(约稿单位人员首次打开即记为已读)",
)
def topic_get(request: ApiRequest, topic_id: ObjectId) -> TopicOut:
    check_roles(request, *DEPARTMENT, *UNITS)
    topic = queries.access_topic(request.user, topic_id)
    services.topic_mark_read(topic=topic, actor=request.user)
    return TopicOut.build(topic, mine=own_target(request, topic))


@router.get(
    "/topics/{topic_id}/board",
    response={200: BoardOut, **READ_ERRORS},
    summary="约稿进度:每个约稿单位的状态和回复的信息",
)
def topic_board(request: ApiRequest, topic_id: ObjectId) -> BoardOut:
    check_roles(request, *DEPARTMENT)
    topic = queries.access_topic(request.user, topic_id)
    now = timezone.now()
    board = queries.topic_board(topic, now)
    rows = [
        BoardRowOut(
            **TargetOut.build(row.target, topic, now).model_dump(),
            items=[AnswerItem.build(i) for i in row.items],
        )
        for row in board.rows
    ]
    return BoardOut(
        topic_id=topic.pk,
        summary={state.value: count for state, count in board.summary},
        rows=rows,
    )


@router.post(
    "/topics/{topic_id}/items",
    response={201: AnswerItem, **WRITE_ERRORS},
    summary="以一条信息回复约稿",
    description=(
        "信息员撰写一条关联该约稿的信息;submit 为 true 时随即报送(需签发的单位送分管领导签发)。"
    ),
)
def topic_reply(request: ApiRequest, topic_id: ObjectId, payload: TopicReply) -> Status[AnswerItem]:
    check_roles(request, *UNITS)
    topic = queries.access_topic(request.user, topic_id)
    data = ItemData(
        title=payload.title,
        body=payload.body,
        category=category_named(payload.category),
        topic_id=topic.pk,
    )
    item = item_create(actor=request.user, data=data)
    if payload.submit:
        item = transition(item=item, actor=request.user, action="submit")
    return Status(201, AnswerItem.build(item))


@router.post(
    "/topics/{topic_id}/decline",
    response={200: TargetOut, **WRITE_ERRORS},
    summary="说明不报的原因",
)
def topic_decline(request: ApiRequest, topic_id: ObjectId, payload: TopicDecline) -> TargetOut:
    check_roles(request, *UNITS)
    topic = queries.access_topic(request.user, topic_id)
    target = services.topic_decline(topic=topic, actor=request.user, reason=payload.reason)
    target = TopicTarget.objects.select_related("unit").get(pk=target.pk)
    return TargetOut.build(target, topic, timezone.now())
