"""The shape of every request body and every answer of the API.

Inputs forbid unknown fields (a misspelt field is an error, not silently dropped) and refuse
control characters other than tab and line breaks (``Text``).
Outputs are built explicitly from the models by the ``build`` class methods, so what the API
shows is written down here and nowhere else.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db import DatabaseError
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from xinbao.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from xinbao.items.models import Category, Urgency
from xinbao.items.workflow import ACTIONS, MOVES
from xinbao.publishing.models import ExternalAdoption, Level

if TYPE_CHECKING:
    from xinbao.api.models import ApiToken
    from xinbao.items.models import Attachment, Item, ItemEvent, Revision
    from xinbao.items.workflow import Move
    from xinbao.orgs.models import Unit, User
    from xinbao.publishing.models import (
        Forwarding,
        Instruction,
        IssueEntry,
        Publication,
        PublicationIssue,
    )
    from xinbao.publishing.queries import StoryLine

MAX_ID = 2**63 - 1
URGENCY_NAMES = {"一般": Urgency.NORMAL, "紧急": Urgency.URGENT, "特急": Urgency.VERY_URGENT}
LEVEL_NAMES = {
    "县级": Level.COUNTY,
    "市级": Level.CITY,
    "省级": Level.PROVINCE,
    "中央": Level.CENTRAL,
}
LEVEL_HELP = "county/city/province/central 或 县级/市级/省级/中央"
ACTION_LABELS = {move.action: str(move.label) for move in MOVES}
ACTION_CHOICES: list[JsonValue] = [*sorted(ACTIONS)]


# Text may hold tab and line breaks but no other control character: the database, the Word
# export and XML refuse them. The pattern is in the OpenAPI document; unpaired surrogates (which
# JSON can carry but UTF-8 cannot) are refused by ``no_surrogates``.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def no_surrogates(value: str) -> str:
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise ValueError(_("含有无效的字符"))
    return value


Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN), AfterValidator(no_surrogates)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def json_integer(value: object) -> object:
    """In a JSON body a number is a number: ``"5"`` and ``true`` are refused (``5.0`` is an
    integer to JSON Schema and is taken)."""
    if isinstance(value, bool | str):
        raise ValueError(_("应为整数"))
    return value


# In a JSON body a flag is ``true`` or ``false`` (``StrictBool``), an integer is a number.
BodyInt = Annotated[int, BeforeValidator(json_integer)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(json_integer)]
UrgencyIn = (
    Annotated[int, Field(ge=0, le=2), BeforeValidator(json_integer)]
    | Literal["一般", "紧急", "特急"]
)
LevelIn = Literal["county", "city", "province", "central", "县级", "市级", "省级", "中央"]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date_text(value: object) -> object:
    """Dates are written ``YYYY-MM-DD``; pydantic alone would also take a number of seconds."""
    if isinstance(value, datetime.date) or (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        return value
    raise ValueError(_("应为日期,格式 YYYY-MM-DD"))


IsoDate = Annotated[datetime.date, BeforeValidator(iso_date_text)]


def urgency_value(value: int | str) -> int:
    return URGENCY_NAMES[value] if isinstance(value, str) else int(value)


def level_value(value: str) -> str:
    return str(LEVEL_NAMES.get(value, value))


def active_category_names(schema: dict[str, Any]) -> None:
    """List the active categories in the OpenAPI document (read when the document is built)."""
    try:
        names = list(Category.objects.filter(is_active=True).values_list("name", flat=True))
    except DatabaseError:  # e.g. the document exported without a database
        return
    if names:
        schema["enum"] = names


class PageParams(Schema):
    """Cursor pagination of a list: ``next_cursor`` of the page before, and the page size."""

    cursor: Text | SkipJsonSchema[None] = Field(
        None, max_length=100, description="上一页返回的 next_cursor"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数")


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    """Every refusal: a message in Chinese, fit to show to the user as it is."""

    detail: str = Field(description="错误说明(中文)")


# --- auth -------------------------------------------------------------------------------------


class TokenRequest(Input):
    username: Text = Field(min_length=1, max_length=150, description="用户名")
    password: str = Field(min_length=1, max_length=4096, description="密码")
    name: Text = Field("", max_length=60, description="令牌名称,便于区分,如“网站同步”")
    otp: str = Field(
        "", max_length=12, description="动态口令:已绑定动态口令的账号必填(与网页登录的第二步相同)"
    )


class TokenInfo(Schema):
    id: int
    name: str
    prefix: str = Field(description="令牌开头几位,用于辨认;完整令牌只在申请时显示一次")
    created_at: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    active: bool

    @classmethod
    def build(cls, token: ApiToken) -> TokenInfo:
        return cls(
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            active=token.is_usable(),
        )


class TokenIssued(Schema):
    token: str = Field(description="访问令牌,放在请求头 Authorization: Bearer <令牌> 中")
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name, not a secret
    id: int
    name: str
    prefix: str
    expires_at: datetime.datetime
    expires_in: int = Field(description="有效期(秒)")

    @classmethod
    def build(cls, token: ApiToken, secret: str) -> TokenIssued:
        return cls(
            token=secret,
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            expires_at=token.expires_at,
            expires_in=round((token.expires_at - token.created_at).total_seconds()),
        )


# --- people and units -------------------------------------------------------------------------


class UnitRef(Schema):
    id: int
    name: str

    @classmethod
    def build(cls, unit: Unit) -> UnitRef:
        return cls(id=unit.pk, name=unit.name)


class UserRef(Schema):
    username: str
    display_name: str

    @classmethod
    def build(cls, user: User) -> UserRef:
        return cls(username=user.username, display_name=user.display_name)


class Me(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    unit: UnitRef | None

    @classmethod
    def build(cls, user: User) -> Me:
        return cls(
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            role_label=str(user.get_role_display()),
            unit=UnitRef.build(user.unit) if user.unit is not None else None,
        )


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    level: str
    parent_id: int | None
    department_id: int | None = Field(description="报送的组织部门")
    requires_signoff: bool
    is_active: bool

    @classmethod
    def build(cls, unit: Unit) -> UnitOut:
        return cls(
            id=unit.pk,
            code=unit.code,
            name=unit.name,
            short_name=unit.short_name,
            kind=unit.kind,
            kind_label=str(unit.get_kind_display()),
            level=unit.level,
            parent_id=unit.parent_id,
            department_id=unit.department_id,
            requires_signoff=unit.requires_signoff,
            is_active=unit.is_active,
        )


# --- items ------------------------------------------------------------------------------------


class ItemCreate(Input):
    title: Text = Field(min_length=1, max_length=200, description="标题")
    body: Text = Field(min_length=1, max_length=20000, description="正文,每段一行")
    category: Text = Field(
        max_length=30,
        description="信息类别的中文名称,如“动态”",
        json_schema_extra=active_category_names,
    )
    urgency: UrgencyIn = Field(0, description="紧急程度:一般/紧急/特急,或 0/1/2")
    event_date: IsoDate | None = Field(None, description="事件日期,不能晚于今天")
    keywords: Text = Field("", max_length=200, description="关键词,以空格或逗号分隔")
    is_internal: StrictBool = Field(False, description="内部信息,不宜公开")
    authors: list[Annotated[Text, Field(max_length=150)]] = Field(
        default_factory=list, max_length=20, description="作者用户名(本单位信息员);缺省为本人"
    )
    co_units: list[BodyId] = Field(
        default_factory=list, max_length=20, description="联合报送单位的编号"
    )


class ItemPatch(Input):
    """Only the fields given are changed; ``version`` is the version the change was made on."""

    version: BodyInt = Field(ge=1, le=2**31, description="修改所依据的版本号(取自 GET 的 version)")
    title: Annotated[Text, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    body: Annotated[Text, Field(min_length=1, max_length=20000)] | SkipJsonSchema[None] = None
    category: (
        Annotated[Text, Field(max_length=30, json_schema_extra=active_category_names)]
        | SkipJsonSchema[None]
    ) = None
    urgency: UrgencyIn | SkipJsonSchema[None] = None
    event_date: IsoDate | None = Field(None, description="给 null 则清除")
    keywords: Annotated[Text, Field(max_length=200)] | SkipJsonSchema[None] = None
    is_internal: StrictBool | SkipJsonSchema[None] = None
    authors: (
        Annotated[list[Annotated[Text, Field(max_length=150)]], Field(max_length=20)]
        | SkipJsonSchema[None]
    ) = None
    co_units: Annotated[list[BodyId], Field(max_length=20)] | SkipJsonSchema[None] = None

    @field_validator(
        "title",
        "body",
        "category",
        "urgency",
        "keywords",
        "is_internal",
        "authors",
        "co_units",
        mode="before",
    )
    @classmethod
    def given_not_null(cls, value: object) -> object:
        """Omitted means unchanged; only ``event_date`` may be cleared with null."""
        if value is None:
            raise ValueError(_("不能为 null;不修改的字段请省略"))
        return value


class Transition(Input):
    action: str = Field(
        description="操作名,见 workflow 表:" + "、".join(sorted(ACTIONS)),
        json_schema_extra={"enum": ACTION_CHOICES},
    )
    comment: Text = Field("", max_length=2000, description="意见;退回、不予签发、不采用时必填")
    secrecy_name: Text = Field(
        "",
        max_length=150,
        description="保密审查确认:信息员报送有保密自查提示的信息时填写本人姓名(见 /secrecy)",
    )

    @field_validator("action")
    @classmethod
    def known_action(cls, value: str) -> str:
        if value not in ACTIONS:
            raise ValueError(_("未知的操作:%(action)s") % {"action": value[:40]})
        return value


class MoveOut(Schema):
    action: str
    label: str
    needs_comment: bool

    @classmethod
    def build(cls, move: Move) -> MoveOut:
        return cls(action=move.action, label=str(move.label), needs_comment=move.needs_comment)


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: UserRef
    uploaded_at: datetime.datetime

    @classmethod
    def build(cls, attachment: Attachment) -> AttachmentOut:
        return cls(
            id=attachment.pk,
            name=attachment.original_name,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
            uploaded_by=UserRef.build(attachment.uploaded_by),
            uploaded_at=attachment.uploaded_at,
        )


class ItemSummary(Schema):
    id: int
    title: str
    category: str
    urgency: int
    urgency_label: str
    state: str
    state_label: str
    unit: UnitRef
    keywords: str
    event_date: datetime.date | None
    is_internal: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    submitted_at: datetime.datetime | None
    decided_at: datetime.datetime | None

    @classmethod
    def fields_of(cls, item: Item) -> dict[str, Any]:
        return {
            "id": item.pk,
            "title": item.title,
            "category": item.category.name,
            "urgency": item.urgency,
            "urgency_label": str(item.get_urgency_display()),
            "state": item.state,
            "state_label": str(item.get_state_display()),
            "unit": UnitRef.build(item.unit),
            "keywords": item.keywords,
            "event_date": item.event_date,
            "is_internal": item.is_internal,
            "version": item.version,
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            "submitted_at": item.submitted_at,
            "decided_at": item.decided_at,
        }

    @classmethod
    def build(cls, item: Item) -> ItemSummary:
        return cls(**cls.fields_of(item))


class ItemOut(ItemSummary):
    body: str
    department: UnitRef = Field(description="报送至的组织部门")
    created_by: UserRef
    authors: list[UserRef]
    co_units: list[UnitRef]
    attachments: list[AttachmentOut]
    moves: list[MoveOut] = Field(description="调用者现在可以执行的操作")
    can_edit: bool = Field(description="调用者现在能否修改正文(PATCH)")

    @classmethod
    def build_detail(
        cls,
        item: Item,
        *,
        moves: list[Move],
        can_edit: bool,
        attachments: list[Attachment],
        authors: list[User] | None = None,
        co_units: list[Unit] | None = None,
    ) -> ItemOut:
        """``authors`` and ``co_units``, when the caller holds them (an item just created): used
        as they are when there is at most one (else read, in the database's collation)."""
        if authors is None or len(authors) > 1:
            authors = list(item.authors.order_by("username"))
        if co_units is None or len(co_units) > 1:
            co_units = list(item.co_units.order_by("sort_order", "code"))
        return cls(
            **cls.fields_of(item),
            body=item.body,
            department=UnitRef.build(item.department),
            created_by=UserRef.build(item.created_by),
            authors=[UserRef.build(u) for u in authors],
            co_units=[UnitRef.build(u) for u in co_units],
            attachments=[AttachmentOut.build(a) for a in attachments],
            moves=[MoveOut.build(m) for m in moves],
            can_edit=can_edit,
        )


class ItemPage(Schema):
    items: list[ItemSummary]
    next_cursor: str | None = Field(description="下一页的游标;没有更多时为 null")


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    from_state: str
    from_state_label: str
    to_state: str
    to_state_label: str
    actor: UserRef
    comment: str
    created_at: datetime.datetime

    @classmethod
    def build(cls, event: ItemEvent) -> EventOut:
        return cls(
            id=event.pk,
            action=event.action,
            action_label=ACTION_LABELS.get(event.action, event.action),
            from_state=event.from_state,
            from_state_label=str(event.get_from_state_display()),
            to_state=event.to_state,
            to_state_label=str(event.get_to_state_display()),
            actor=UserRef.build(event.actor),
            comment=event.comment,
            created_at=event.created_at,
        )


class RevisionOut(Schema):
    number: int
    kind: str
    kind_label: str
    title: str
    body: str
    author: UserRef
    created_at: datetime.datetime

    @classmethod
    def build(cls, revision: Revision) -> RevisionOut:
        return cls(
            number=revision.number,
            kind=revision.kind,
            kind_label=str(revision.get_kind_display()),
            title=revision.title,
            body=revision.body,
            author=UserRef.build(revision.author),
            created_at=revision.created_at,
        )


# --- recognition: story, instructions, upper-level adoptions, forwarding -----------------------


class StoryLineOut(Schema):
    when: datetime.datetime | datetime.date
    kind: str = Field(description="adoption / instruction / forwarding-<状态>")
    level: str
    text: str

    @classmethod
    def build(cls, line: StoryLine) -> StoryLineOut:
        return cls(when=line.when, kind=line.kind, level=line.level, text=line.text)


class InstructionCreate(Input):
    level: LevelIn = Field(description="领导级别:" + LEVEL_HELP)
    leader_title: Text = Field(min_length=1, max_length=60, description="领导职务")
    leader_name: Text = Field("", max_length=30, description="领导姓名")
    instructed_on: IsoDate = Field(description="批示日期")
    text: Text = Field(min_length=1, max_length=5000, description="批示内容")
    feedback_due_on: IsoDate | None = Field(None, description="反馈期限(需要单位反馈落实情况时)")


class InstructionOut(Schema):
    id: int
    item_id: int
    level: str
    level_label: str
    leader_title: str
    leader_name: str
    instructed_on: datetime.date
    text: str
    recorded_by: UserRef
    recorded_at: datetime.datetime

    @classmethod
    def build(cls, instruction: Instruction) -> InstructionOut:
        return cls(
            id=instruction.pk,
            item_id=instruction.item_id,
            level=instruction.level,
            level_label=str(instruction.get_level_display()),
            leader_title=instruction.leader_title,
            leader_name=instruction.leader_name,
            instructed_on=instruction.instructed_on,
            text=instruction.text,
            recorded_by=UserRef.build(instruction.recorded_by),
            recorded_at=instruction.recorded_at,
        )


ExternalKind = Literal["publication", "newspaper", "broadcast", "website"]


class ExternalAdoptionCreate(Input):
    kind: ExternalKind = Field(
        "publication",
        description="publication 组织部门刊物、newspaper 报刊、broadcast 电台电视台、website 网站",
    )
    level: LevelIn = Field(description="级别:" + LEVEL_HELP)
    outlet: Text = Field(min_length=1, max_length=100, description="刊物或媒体")
    issue_label: Text = Field("", max_length=100, description="期次或版面")
    adopted_on: IsoDate = Field(description="采用日期,不能晚于今天")


class ExternalAdoptionOut(Schema):
    id: int
    item_id: int
    kind: str
    kind_label: str
    level: str
    level_label: str
    outlet: str
    issue_label: str
    adopted_on: datetime.date
    recorded_by: UserRef
    recorded_at: datetime.datetime

    @classmethod
    def build(cls, adoption: ExternalAdoption) -> ExternalAdoptionOut:
        return cls(
            id=adoption.pk,
            item_id=adoption.item_id,
            kind=adoption.kind,
            kind_label=str(adoption.get_kind_display()),
            level=adoption.level,
            level_label=str(adoption.get_level_display()),
            outlet=adoption.outlet,
            issue_label=adoption.issue_label,
            adopted_on=adoption.adopted_on,
            recorded_by=UserRef.build(adoption.recorded_by),
            recorded_at=adoption.recorded_at,
        )


class ForwardCreate(Input):
    note: Text = Field("", max_length=500, description="转报说明")


class ForwardingOut(Schema):
    id: int
    item_id: int
    from_department: UnitRef
    to_department: UnitRef
    state: str
    state_label: str
    note: str
    forwarded_by: UserRef
    forwarded_at: datetime.datetime

    @classmethod
    def build(cls, forwarding: Forwarding) -> ForwardingOut:
        return cls(
            id=forwarding.pk,
            item_id=forwarding.item_id,
            from_department=UnitRef.build(forwarding.from_department),
            to_department=UnitRef.build(forwarding.to_department),
            state=forwarding.state,
            state_label=str(forwarding.get_state_display()),
            note=forwarding.note,
            forwarded_by=UserRef.build(forwarding.forwarded_by),
            forwarded_at=forwarding.forwarded_at,
        )


# --- publications and issues ------------------------------------------------------------------


class PublicationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    is_active: bool
    department: UnitRef
    last_year: int | None
    last_number: int
    last_total_number: int

    @classmethod
    def build(cls, publication: Publication) -> PublicationOut:
        return cls(
            id=publication.pk,
            name=publication.name,
            kind=publication.kind,
            kind_label=str(publication.get_kind_display()),
            is_active=publication.is_active,
            department=UnitRef.build(publication.department),
            last_year=publication.last_year,
            last_number=publication.last_number,
            last_total_number=publication.last_total_number,
        )


class IssueSummary(Schema):
    id: int
    publication_id: int
    publication_name: str
    state: str
    state_label: str
    year: int | None
    number: int | None
    total_number: int | None
    revision: int
    number_label: str = Field(description="如“2026年第12期”;未发布时为“(未编号)”")
    total_label: str
    title: str
    issue_date: datetime.date | None
    created_at: datetime.datetime
    published_at: datetime.datetime | None

    @classmethod
    def fields_of(cls, issue: PublicationIssue) -> dict[str, Any]:
        return {
            "id": issue.pk,
            "publication_id": issue.publication_id,
            "publication_name": issue.publication.name,
            "state": issue.state,
            "state_label": str(issue.get_state_display()),
            "year": issue.year,
            "number": issue.number,
            "total_number": issue.total_number,
            "revision": issue.revision,
            "number_label": issue.number_label,
            "total_label": issue.total_label,
            "title": issue.title,
            "issue_date": issue.issue_date,
            "created_at": issue.created_at,
            "published_at": issue.published_at,
        }

    @classmethod
    def build(cls, issue: PublicationIssue) -> IssueSummary:
        return cls(**cls.fields_of(issue))


class IssuePage(Schema):
    items: list[IssueSummary]
    next_cursor: str | None


class EntryOut(Schema):
    id: int
    position: int
    item_id: int
    unit: UnitRef
    headline: str
    text: str
    editor_note: str
    source_line: str

    @classmethod
    def build(cls, entry: IssueEntry) -> EntryOut:
        return cls(
            id=entry.pk,
            position=entry.position,
            item_id=entry.item_id,
            unit=UnitRef.build(entry.item.unit),
            headline=entry.headline,
            text=entry.text,
            editor_note=entry.editor_note,
            source_line=entry.source_line,
        )


class IssueOut(IssueSummary):
    compiler: str
    signer: str
    distribution: str
    revision_of_id: int | None
    revision_reason: str
    entries: list[EntryOut]

    @classmethod
    def build_detail(cls, issue: PublicationIssue, entries: list[IssueEntry]) -> IssueOut:
        return cls(
            **cls.fields_of(issue),
            compiler=issue.compiler,
            signer=issue.signer,
            distribution=issue.distribution,
            revision_of_id=issue.revision_of_id,
            revision_reason=issue.revision_reason,
            entries=[EntryOut.build(e) for e in entries],
        )
