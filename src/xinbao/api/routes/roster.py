"""The officer team: roster (phones masked as the pages mask them), an officer's portfolio, and
training sessions. The same queries and rules as the pages (``orgs.queries``,
``orgs.permissions``)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from xinbao.api.auth import ApiRequest
from xinbao.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_id
from xinbao.api.routes import READ_ERRORS, ObjectId
from xinbao.api.schemas import Id, Text, UnitRef
from xinbao.orgs import queries
from xinbao.orgs.models import Attendance, OfficerEvent, TrainingSession, Unit, User
from xinbao.orgs.permissions import phone_for

router = Router(tags=["信息员队伍"])


class OfficerOut(Schema):
    id: int
    username: str
    display_name: str
    unit: UnitRef | None
    rank: str = Field(description="primary 主信息员 / regular 信息员 / backup 后备信息员")
    rank_label: str
    post: str = Field(description="职务")
    phone: str = Field(description="联系电话;无权查看全号者只见 138****1234 形式")
    appointed_on: datetime.date | None
    is_active: bool = Field(description="false 表示已离任(账号停用)")

    @classmethod
    def build(cls, officer: User, viewer: User) -> OfficerOut:
        return cls(
            id=officer.pk,
            username=officer.username,
            display_name=officer.display_name,
            unit=UnitRef.build(officer.unit) if officer.unit is not None else None,
            rank=officer.officer_rank,
            rank_label=str(officer.get_officer_rank_display()),
            post=officer.post,
            phone=phone_for(viewer, officer),
            appointed_on=officer.appointed_on,
            is_active=officer.is_active,
        )


class OfficerPage(Schema):
    items: list[OfficerOut]
    next_cursor: str | None


class OfficerFilters(Schema):
    unit: Id | SkipJsonSchema[None] = Field(None, description="单位编号")
    kind: Unit.Kind | SkipJsonSchema[None] = Field(None, description="单位类别")
    include_left: bool = Field(False, description="是否包括已离任的信息员")
    cursor: Text | SkipJsonSchema[None] = Field(
        None, max_length=100, description="上一页返回的 next_cursor"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数")


@router.get(
    "/officers",
    response={200: OfficerPage, **READ_ERRORS},
    summary="信息员名册",
    description=(
        "编辑、部领导:本部门全部单位的信息员;信息员、分管领导:本单位的信息员。"
        "联系电话只对本部门编辑、部领导和本单位分管领导显示全号,其他人只见部分号码。"
    ),
)
def officer_list(request: ApiRequest, filters: Query[OfficerFilters]) -> OfficerPage:
    qs = queries.officers_for_api(request.user)
    if not filters.include_left:
        qs = qs.filter(is_active=True)
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    if filters.kind:
        qs = qs.filter(unit__kind=filters.kind)
    rows, next_cursor = page_by_id(qs, filters.cursor, filters.limit)
    return OfficerPage(
        items=[OfficerOut.build(o, request.user) for o in rows], next_cursor=next_cursor
    )


class YearOut(Schema):
    year: int
    points: float
    adopted: int = Field(description="计分采用的信息数")
    high_level: int = Field(description="市级以上采用的信息数")
    instructions: int = Field(description="领导批示数")


class ClassRankOut(Schema):
    rank: int
    of: int = Field(description="同类单位在岗信息员人数")


class PortfolioItemOut(Schema):
    id: int
    title: str
    state: str
    category: str
    created_at: datetime.datetime
    upper_adoptions: list[str] = Field(description="上级采用的级别")
    instructions: list[str] = Field(description="领导批示的级别")


class TrainingLineOut(Schema):
    training_id: int
    held_on: datetime.date
    topic: str
    status: str

    @classmethod
    def build(cls, row: Attendance) -> TrainingLineOut:
        return cls(
            training_id=row.session_id,
            held_on=row.session.held_on,
            topic=row.session.topic,
            status=row.status,
        )


class HistoryOut(Schema):
    kind: str
    kind_label: str
    occurred_on: datetime.date
    unit: UnitRef
    from_unit: UnitRef | None
    rank: str
    from_rank: str

    @classmethod
    def build(cls, event: OfficerEvent) -> HistoryOut:
        return cls(
            kind=event.kind,
            kind_label=str(event.get_kind_display()),
            occurred_on=event.occurred_on,
            unit=UnitRef.build(event.unit),
            from_unit=UnitRef.build(event.from_unit) if event.from_unit else None,
            rank=event.rank,
            from_rank=event.from_rank,
        )


class PortfolioOut(Schema):
    officer: OfficerOut
    years: list[YearOut]
    class_rank: ClassRankOut | None
    items: list[PortfolioItemOut] = Field(description="最近的信息(最多 50 条)")
    items_total: int
    training: list[TrainingLineOut]
    history: list[HistoryOut]


PORTFOLIO_ITEMS = 50


class PortfolioQuery(Schema):
    year: int = Field(0, ge=0, le=2100, description="年度,默认今年;返回此前三年")


@router.get(
    "/officers/{officer_id}/portfolio",
    response={200: PortfolioOut, **READ_ERRORS},
    summary="信息员档案",
    description=(
        "本人、本单位分管领导和本部门编辑、部领导可以查看;其他人得到 404。"
        "积分按信息作者归属(见 docs/roster.md)。"
    ),
)
def officer_portfolio(
    request: ApiRequest, officer_id: ObjectId, params: Query[PortfolioQuery]
) -> PortfolioOut:
    officer = queries.access_officer(request.user, officer_id)
    year = params.year or timezone.localdate().year
    years = [year - 2, year - 1, year]
    figures = queries.officer_year_figures([officer.pk], years)
    empty = queries.YearFigures()
    rank = queries.officer_class_rank(officer, year)
    items_qs = queries.officer_items(request.user, officer)
    items = list(items_qs[:PORTFOLIO_ITEMS])
    return PortfolioOut(
        officer=OfficerOut.build(officer, request.user),
        years=[
            YearOut(
                year=y,
                points=float(f.points),
                adopted=f.adopted,
                high_level=f.high_level,
                instructions=f.instructions,
            )
            for y in years
            for f in [figures.get((officer.pk, y), empty)]
        ],
        class_rank=ClassRankOut(rank=rank.rank, of=rank.of) if rank else None,
        items=[
            PortfolioItemOut(
                id=i.pk,
                title=i.title,
                state=i.state,
                category=i.category.name,
                created_at=i.created_at,
                upper_adoptions=[a.level for a in i.external_adoptions.all()],
                instructions=[n.level for n in i.instructions.all()],
            )
            for i in items
        ],
        items_total=items_qs.count(),
        training=[TrainingLineOut.build(r) for r in queries.training_record(officer)],
        history=[HistoryOut.build(e) for e in queries.officer_history(officer)],
    )


class TrainingOut(Schema):
    id: int
    held_on: datetime.date
    topic: str
    trainer: str
    place: str
    present: int
    absent: int
    excused: int

    @classmethod
    def build(cls, session: TrainingSession) -> TrainingOut:
        return cls(
            id=session.pk,
            held_on=session.held_on,
            topic=session.topic,
            trainer=session.trainer,
            place=session.place,
            present=session.present,  # type: ignore[attr-defined]  # annotated by trainings_of
            absent=session.absent,  # type: ignore[attr-defined]
            excused=session.excused,  # type: ignore[attr-defined]
        )


class TrainingPage(Schema):
    items: list[TrainingOut]
    next_cursor: str | None


class TrainingFilters(Schema):
    cursor: Text | SkipJsonSchema[None] = Field(
        None, max_length=100, description="上一页返回的 next_cursor"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数")


@router.get(
    "/trainings",
    response={200: TrainingPage, **READ_ERRORS},
    summary="培训",
    description="本组织部门举办的培训及出勤人数;管理员无。",
)
def training_list(request: ApiRequest, filters: Query[TrainingFilters]) -> TrainingPage:
    qs = queries.trainings_of(queries.department_id_of(request.user))
    rows, next_cursor = page_by_id(qs, filters.cursor, filters.limit)
    return TrainingPage(items=[TrainingOut.build(s) for s in rows], next_cursor=next_cursor)
