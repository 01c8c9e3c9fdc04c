"""Items: list, create, read, change, move through the workflow, the trail, revisions and
attachments; and what became of an item after submission (its story, leaders' instructions,
upper-level adoptions, forwarding up).

Scope is ``items.queries.access_item`` (an item the caller may not see is a 404, never a 403);
every change goes through the same service the pages call, which checks the caller's part.
"""

from __future__ import annotations

from typing import Annotated

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from xinbao.api import queries as api_queries
from xinbao.api.auth import ApiRequest
from xinbao.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, cut, decode_cursor
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.schemas import (
    AttachmentOut,
    EventOut,
    ExternalAdoptionCreate,
    ExternalAdoptionOut,
    ForwardCreate,
    ForwardingOut,
    Id,
    InstructionCreate,
    InstructionOut,
    IsoDate,
    ItemCreate,
    ItemOut,
    ItemPage,
    ItemPatch,
    ItemSummary,
    RevisionOut,
    StoryLineOut,
    Text,
    Transition,
    level_value,
    urgency_value,
)
from xinbao.items import permissions, queries, services
from xinbao.items.attachments import ALLOWED, attachment_add, attachment_response
from xinbao.items.errors import InvalidInput
from xinbao.items.models import Category, State
from xinbao.items.queries import ItemFilter
from xinbao.items.services import ItemData
from xinbao.ops.idempotency import KEY_MAX, idempotent_call
from xinbao.orgs.models import Unit, User
from xinbao.publishing import services as publishing
from xinbao.publishing.queries import item_story

router = Router(tags=["信息"])

BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_SCHEMA = {"required": ["file"], "additionalProperties": False}


class ItemFilters(Schema):
    state: State | SkipJsonSchema[None] = Field(None, description="状态")
    unit: Id | SkipJsonSchema[None] = Field(None, description="报送单位编号")
    category: Text | SkipJsonSchema[None] = Field(
        None, max_length=30, description="信息类别名称,如“动态”"
    )
    urgency: Annotated[int, Field(ge=0, le=2)] | SkipJsonSchema[None] = Field(
        None, description="紧急程度 0 一般、1 紧急、2 特急"
    )
    submitted_from: IsoDate | SkipJsonSchema[None] = Field(None, description="报送日期起(含)")
    submitted_to: IsoDate | SkipJsonSchema[None] = Field(None, description="报送日期止(含)")
    q: Text | SkipJsonSchema[None] = Field(None, max_length=100, description="标题包含的文字")
    cursor: Text | SkipJsonSchema[None] = Field(
        None, max_length=100, description="上一页返回的 next_cursor"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数")


@router.get(
    "/items",
    response={200: ItemPage, **READ_ERRORS},
    summary="我能看到的信息",
    description="按编号从新到旧分页;用返回的 next_cursor 取下一页,直到它为 null。",
)
def item_list(request: ApiRequest, filters: Query[ItemFilters]) -> ItemPage:
    condition = ItemFilter(
        state=filters.state,
        unit_id=filters.unit,
        category_name=filters.category,
        urgency=filters.urgency,
        date_from=filters.submitted_from,
        date_to=filters.submitted_to,
        title_contains=filters.q,
    )
    before = decode_cursor(filters.cursor) if filters.cursor else None
    rows, next_cursor = cut(
        api_queries.item_page(request.user, condition, before=before, limit=filters.limit + 1),
        filters.limit,
    )
    return ItemPage(items=[ItemSummary.build(i) for i in rows], next_cursor=next_cursor)


@router.post(
    "/items",
    response={201: ItemOut, **WRITE_ERRORS},
    summary="撰写一条信息(草稿)",
    description=(
        "只有信息员可以撰写。保存为草稿;报送请再调用 transitions 执行 submit。"
        "带请求头 Idempotency-Key 时,同一用户以同一键重发只返回第一次的结果,不会重复创建"
        "(键用于不同内容的请求时返回 409)。"
    ),
)
def item_create(
    request: ApiRequest,
    payload: ItemCreate,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=KEY_MAX, pattern=r"^[!-~]+$"
    ),
) -> Status[ItemOut]:
    if idempotency_key is None:
        return Status(201, _item_create(request, payload))
    status, body = idempotent_call(
        user=request.user,
        scope="items.create",
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        run=lambda: (201, _item_create(request, payload).model_dump(mode="json")),
    )
    return Status(status, ItemOut.model_validate(body))


def _item_create(request: ApiRequest, payload: ItemCreate) -> ItemOut:
    data = ItemData(
        title=payload.title,
        body=payload.body,
        category=category_named(payload.category),
        urgency=urgency_value(payload.urgency),
        event_date=payload.event_date,
        keywords=payload.keywords,
        is_internal=payload.is_internal,
        authors=users_named(payload.authors),
        co_units=units_with_ids(payload.co_units),
    )
    item = services.item_create(actor=request.user, data=data)
    # The new item as created (no read back): the officer's own unit's draft, which they see.
    unit = item.unit
    department = unit.department if Unit._meta.get_field("department").is_cached(unit) else None
    if department is not None:
        item.department = department
    return ItemOut.build_detail(
        item,
        moves=services.available_moves(item=item, actor=request.user),
        can_edit=permissions.can_edit(request.user, item),
        attachments=[],
        authors=list(data.authors or [request.user]),
        co_units=list(data.co_units or []),
    )


@router.get("/items/{item_id}", response={200: ItemOut, **READ_ERRORS}, summary="一条信息")
def item_get(request: ApiRequest, item_id: ObjectId) -> ItemOut:
    return item_detail(request.user, item_id)


@router.patch(
    "/items/{item_id}",
    response={200: ItemOut, **WRITE_ERRORS},
    summary="修改一条信息",
    description=(
        "只改给出的字段。信息员可在草稿、退回修改状态下修改;编辑可在审核状态下修改"
        "(留下编辑修改稿)。version 须为读取时的版本号,若他人已先保存则返回 409。"
    ),
)
def item_patch(request: ApiRequest, item_id: ObjectId, payload: ItemPatch) -> ItemOut:
    item = queries.access_item(request.user, item_id)
    given = payload.model_fields_set
    data = ItemData(
        title=payload.title if payload.title is not None else item.title,
        body=payload.body if payload.body is not None else item.body,
        category=(
            category_named(payload.category) if payload.category is not None else item.category
        ),
        urgency=urgency_value(payload.urgency) if payload.urgency is not None else item.urgency,
        event_date=payload.event_date if "event_date" in given else item.event_date,
        keywords=payload.keywords if payload.keywords is not None else item.keywords,
        is_internal=(payload.is_internal if payload.is_internal is not None else item.is_internal),
        authors=(
            users_named(payload.authors)
            if payload.authors is not None
            else list(item.authors.all())
        ),
        co_units=(
            units_with_ids(payload.co_units)
            if payload.co_units is not None
            else list(item.co_units.all())
        ),
    )
    services.item_update(item=item, actor=request.user, data=data, version=payload.version)
    return item_detail(request.user, item.pk)


@router.post(
    "/items/{item_id}/transitions",
    response={200: ItemOut, **WRITE_ERRORS},
    summary="执行一个流转操作",
    description=(
        "action 取 submit 报送、approve 签发、reject_signoff 不予签发、withdraw 撤回、"
        "start_review 开始审核、return 退回修改、resubmit 修改后重报、adopt 采用、"
        "decline 不采用、archive 归档。当前状态不允许该操作时返回 409;"
        "调用者不担任该操作的角色时返回 403;须填意见而未填时返回 400。"
    ),
)
def item_transition(request: ApiRequest, item_id: ObjectId, payload: Transition) -> ItemOut:
    item = queries.access_item(request.user, item_id)
    services.transition(
        item=item,
        actor=request.user,
        action=payload.action,
        comment=payload.comment,
        secrecy_name=payload.secrecy_name,
    )
    return item_detail(request.user, item.pk)


@router.get(
    "/items/{item_id}/history",
    response={200: list[EventOut], **READ_ERRORS},
    summary="流转记录(含意见)",
)
def item_history(request: ApiRequest, item_id: ObjectId) -> list[EventOut]:
    item = queries.access_item(request.user, item_id)
    return [EventOut.build(e) for e in queries.item_events(item)]


@router.get(
    "/items/{item_id}/revisions",
    response={200: list[RevisionOut], **READ_ERRORS},
    summary="修改稿(报送稿与编辑修改稿)",
)
def item_revisions(request: ApiRequest, item_id: ObjectId) -> list[RevisionOut]:
    item = queries.access_item(request.user, item_id)
    return [RevisionOut.build(r) for r in queries.item_revisions(item)]


@router.get(
    "/items/{item_id}/attachments",
    response={200: list[AttachmentOut], **READ_ERRORS},
    summary="附件列表",
)
def item_attachments(request: ApiRequest, item_id: ObjectId) -> list[AttachmentOut]:
    item = queries.access_item(request.user, item_id)
    return [AttachmentOut.build(a) for a in item.attachments.select_related("uploaded_by")]


@router.post(
    "/items/{item_id}/attachments",
    response={201: AttachmentOut, **WRITE_ERRORS},
    summary="上传附件(multipart/form-data,字段名 file)",
    description="只接受 Word(.docx)、PDF 和图片,按文件内容判断类型;大小有上限。",
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": UPLOAD_SCHEMA}}}},
)
def item_attach(
    request: ApiRequest, item_id: ObjectId, file: File[UploadedFile | SkipJsonSchema[None]] = None
) -> Status[AttachmentOut]:
    # Django drops an empty file part, so "no file" is answered here, as the page does.
    if file is None or set(request.POST) | set(request.FILES) != {"file"}:
        raise InvalidInput(_("请只上传一个文件,字段名为 file。"))
    item = queries.access_item(request.user, item_id)
    attachment = attachment_add(item=item, actor=request.user, upload=file)
    return Status(201, AttachmentOut.build(attachment))


@router.get(
    "/items/{item_id}/attachments/{attachment_id}",
    response=WRITE_ERRORS,  # 409: the stored file failed its integrity check
    summary="下载附件",
    openapi_extra={
        "responses": {
            "200": {
                "description": "附件文件",
                "content": dict.fromkeys(sorted(ALLOWED), BINARY),
            }
        }
    },
)
def item_attachment_download(
    request: ApiRequest, item_id: ObjectId, attachment_id: ObjectId
) -> HttpResponse:
    item = queries.access_item(request.user, item_id)
    attachment = item.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment=attachment, actor=request.user)


@router.get(
    "/items/{item_id}/story",
    response={200: list[StoryLineOut], **READ_ERRORS},
    summary="报送之后:各级刊用、转报、领导批示",
)
def item_story_lines(request: ApiRequest, item_id: ObjectId) -> list[StoryLineOut]:
    item = queries.access_item(request.user, item_id)
    return [StoryLineOut.build(line) for line in item_story(item)]


@router.post(
    "/items/{item_id}/instructions",
    response={201: InstructionOut, **WRITE_ERRORS},
    summary="登记领导批示(编辑)",
)
def item_instruction(
    request: ApiRequest, item_id: ObjectId, payload: InstructionCreate
) -> Status[InstructionOut]:
    item = queries.access_item(request.user, item_id)
    instruction = publishing.instruction_record(
        item=item,
        actor=request.user,
        level=level_value(payload.level),
        leader_title=payload.leader_title,
        leader_name=payload.leader_name,
        instructed_on=payload.instructed_on,
        text=payload.text,
        feedback_due_on=payload.feedback_due_on,
    )
    return Status(201, InstructionOut.build(instruction))


@router.post(
    "/items/{item_id}/external-adoptions",
    response={201: ExternalAdoptionOut, **WRITE_ERRORS},
    summary="登记上级或媒体采用(编辑)",
)
def item_external_adoption(
    request: ApiRequest, item_id: ObjectId, payload: ExternalAdoptionCreate
) -> Status[ExternalAdoptionOut]:
    item = queries.access_item(request.user, item_id)
    adoption = publishing.external_adoption_record(
        item=item,
        actor=request.user,
        kind=payload.kind,
        level=level_value(payload.level),
        outlet=payload.outlet,
        issue_label=payload.issue_label,
        adopted_on=payload.adopted_on,
    )
    return Status(201, ExternalAdoptionOut.build(adoption))


@router.post(
    "/items/{item_id}/forward",
    response={201: ForwardingOut, **WRITE_ERRORS},
    summary="转报上级组织部门(编辑)",
    description="只能转报本部门已采用的信息;每个上级部门只能转报一次。",
)
def item_forward(
    request: ApiRequest, item_id: ObjectId, payload: ForwardCreate
) -> Status[ForwardingOut]:
    item = queries.access_item(request.user, item_id)
    forwarding = publishing.item_forward(item=item, actor=request.user, note=payload.note)
    return Status(201, ForwardingOut.build(forwarding))


def item_detail(user: User, pk: int) -> ItemOut:
    """The item as ``user`` sees it now, with the moves open to them."""
    item = queries.access_item(user, pk)
    return ItemOut.build_detail(
        item,
        moves=services.available_moves(item=item, actor=user),
        can_edit=permissions.can_edit(user, item),
        attachments=queries.item_attachments(item),
    )


def category_named(name: str) -> Category:
    category = Category.objects.filter(name=name.strip(), is_active=True).first()
    if category is None:
        names = "、".join(Category.objects.filter(is_active=True).values_list("name", flat=True))
        raise InvalidInput(
            _("未知的信息类别“%(name)s”,可选:%(names)s。") % {"name": name, "names": names}
        )
    return category


def users_named(usernames: list[str]) -> list[User]:
    """The named users; any unknown name is refused with the service's own message."""
    wanted = set(usernames)
    users = list(User.objects.filter(username__in=wanted))
    if len(users) != len(wanted):
        raise InvalidInput(_("作者必须是本单位的信息员。"))
    return users


def units_with_ids(ids: list[int]) -> list[Unit]:
    wanted = set(ids)
    units = list(Unit.objects.filter(pk__in=wanted))
    if len(units) != len(wanted):
        raise InvalidInput(_("联合报送单位必须是与本单位报送同一组织部门的其他单位。"))
    return units
