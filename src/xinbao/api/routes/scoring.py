"""Assessment: rankings for any period, a unit's ledger rows (the entries behind every figure),
the what-if preview of a draft rule set, and the editor's review (kind and rubric) of an item.

Rankings and the what-if are for the department's editors and leaders (``web.access``'s
``department_of``); a unit's ledger for them and for the unit's own officers and leaders
(``scoring.queries.access_statement_unit``: any other unit answers 404).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema

from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.schemas import Text
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.queries import access_item
from xinbao.orgs.models import DEPARTMENT_ROLES, Role
from xinbao.scoring import queries, services
from xinbao.scoring.periods import Period, parse_period
from xinbao.scoring.ranking import RankRow, class_of, officer_ranking, unit_ranking
from xinbao.scoring.whatif import whatif
from xinbao.web.access import department_of

router = Router(tags=["考核"])

Year = Annotated[int, Field(ge=2000, le=2100)]
ShowKey = Literal["", "adopted", "high", "reference", "instruction", "topic", "quota", "deduction"]


class PeriodParams(Schema):
    year: Year | SkipJsonSchema[None] = Field(None, description="年度,默认今年")
    period: Text = Field(
        "", max_length=40, description="2026-Q3、2026-10、2026 或 2026-03-01..2026-05-31;空为全年"
    )


class RankingParams(PeriodParams):
    unit_class: Text = Field(
        "",
        alias="class",
        max_length=20,
        description=(
            "单位考核类别:township、dept_a、dept_b、dept_c、office、other,"
            "或中文名称 乡镇、县直部门A类(A类)、县直部门B类、县直部门C类、部机关科室、其他单位"
        ),
    )
    officers: bool = Field(False, description="为 true 时按信息员排名")


class RankRowOut(Schema):
    rank: int = Field(description="类别内名次(信息员:总名次)")
    overall_rank: int
    unit_code: str
    unit: str
    unit_class: str = Field(description="单位考核类别代码,如 dept_a")
    unit_class_label: str = Field(description="单位考核类别名称,如 县直部门A类")
    officer: str | None = None
    officer_name: str | None = None
    points: float
    submitted: int
    adopted: int
    adoption_rate: float | None
    high_level: int
    high_share: float | None
    reference: int
    reference_share: float | None
    instructions: int
    quota: int | None
    quota_completion: float | None
    topics: int
    topics_answered: int
    ledger: str = Field(description="这一行背后的计分明细接口")


class RankingOut(Schema):
    department: str
    period: str
    label: str
    tie_rule: str
    rows: list[RankRowOut]


class LedgerEntryOut(Schema):
    id: int
    fact_date: str
    fact_type: str
    fact_id: str
    rule: str
    reason: str
    points: float
    level: str
    item_kind: str
    item_id: int | None


class LedgerOut(Schema):
    unit_code: str
    unit: str
    period: str
    total: float
    entries: list[LedgerEntryOut]
    truncated: bool = Field(description="为 true 时只返回了前 limit 条")


class LedgerParams(PeriodParams):
    show: ShowKey = Field("", description="只看某一项数字背后的明细")
    limit: int = Field(1000, ge=1, le=5000)


class WhatIfIn(Schema):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)
    rules: dict[str, JsonValue] = Field(description="考核办法草案(与导出文件的 rules 相同)")


class WhatIfRowOut(Schema):
    unit_code: str
    unit: str
    unit_class: str
    current_points: float
    current_rank: int
    draft_points: float
    draft_rank: int
    move: int = Field(description="名次变化:正数为上升")


class WhatIfOut(Schema):
    year: int
    rows: list[WhatIfRowOut]


class ReviewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["regular", "reference", "photo"]
    rubric: dict[Literal["clear", "accurate", "timely", "novel"], int] = Field(
        default_factory=dict, description="四项评分,各 0–25;全部省略则只标记类别"
    )


class ReviewOut(Schema):
    item_id: int
    kind: str
    rubric: dict[str, int]
    score: float | None


TIE_RULE = (
    "得分高者在前;同分比较市级以上采用数、再比较计分采用数;仍相同按单位代码(信息员按用户名)升序。"
)


def _period(params: PeriodParams) -> Period:
    try:
        return parse_period(params.period, params.year or timezone.localdate().year)
    except ValueError as error:
        raise InvalidInput(str(error)) from error


def _check_department(request: ApiRequest) -> None:
    if not request.user.has_role(*DEPARTMENT_ROLES):
        raise NotAllowed(_("只有组织部门的编辑和部领导可以查看排名。"))


def rank_row_out(row: RankRow, period: Period) -> RankRowOut:
    data: dict[str, Any] = row.as_dict()
    if row.officer is not None:
        data["ledger"] = f"/api/v1/officers/{row.officer.pk}/ledger?period={period.key}"
    else:
        data["ledger"] = f"/api/v1/units/{row.unit.pk}/ledger?period={period.key}"
    return RankRowOut(**data)


def _entries(lines: list[Any]) -> list[LedgerEntryOut]:
    return [
        LedgerEntryOut(
            id=line.pk,
            fact_date=line.fact_date.isoformat(),
            fact_type=line.fact_type,
            fact_id=line.fact_id,
            rule=line.rule,
            reason=line.reason,
            points=float(line.points),
            level=line.level,
            item_kind=line.item_kind,
            item_id=line.item_id,
        )
        for line in lines
    ]


@router.get("/rankings", response={200: RankingOut, **READ_ERRORS}, summary="考核排名")
def ranking_get(request: ApiRequest, params: Query[RankingParams]) -> RankingOut:
    _check_department(request)
    department = department_of(request.user)
    period = _period(params)
    try:
        kind = class_of(params.unit_class)
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    build = officer_ranking if params.officers else unit_ranking
    result = build(department, period, unit_class=kind)
    ordered = result.overall if params.officers else [r for g in result.groups for r in g.rows]
    return RankingOut(
        department=department.code,
        period=period.key,
        label=period.label,
        tie_rule=TIE_RULE,
        rows=[rank_row_out(r, period) for r in ordered],
    )


@router.get(
    "/units/{unit_id}/ledger", response={200: LedgerOut, **READ_ERRORS}, summary="单位的计分明细"
)
def unit_ledger(request: ApiRequest, unit_id: ObjectId, params: Query[LedgerParams]) -> LedgerOut:
    if not request.user.has_role(*DEPARTMENT_ROLES, Role.OFFICER, Role.UNIT_LEADER):
        raise NotAllowed(_("只有组织部门和本单位的人员可以查看计分明细。"))
    unit = queries.access_statement_unit(request.user, unit_id)
    period = _period(params)
    lines = list(queries.period_lines(unit, period, params.show)[: params.limit + 1])
    shown = lines[: params.limit]
    return LedgerOut(
        unit_code=unit.code,
        unit=unit.display_name,
        period=period.key,
        total=float(sum(line.points for line in shown)),
        truncated=len(lines) > params.limit,
        entries=_entries(shown),
    )


class OfficerLedgerOut(LedgerOut):
    officer: str
    officer_name: str


@router.get(
    "/officers/{officer_id}/ledger",
    response={200: OfficerLedgerOut, **READ_ERRORS},
    summary="信息员的计分明细",
)
def officer_ledger(
    request: ApiRequest, officer_id: ObjectId, params: Query[LedgerParams]
) -> OfficerLedgerOut:
    """The ledger rows attributed to one officer (what the officers' ranking sums): the
    officer's own, a unit leader's officers', any officer of the department for its staff."""
    if not request.user.has_role(*DEPARTMENT_ROLES, Role.OFFICER, Role.UNIT_LEADER):
        raise NotAllowed(_("只有组织部门和本单位的人员可以查看计分明细。"))
    officer = queries.access_statement_officer(request.user, officer_id)
    unit = officer.home_unit
    period = _period(params)
    department = unit.department or unit
    found = queries.officer_period_lines(department, officer, period, params.show)
    lines = list(found[: params.limit + 1])
    shown = lines[: params.limit]
    return OfficerLedgerOut(
        officer=officer.username,
        officer_name=officer.display_name,
        unit_code=unit.code,
        unit=unit.display_name,
        period=period.key,
        total=float(sum(line.points for line in shown)),
        truncated=len(lines) > params.limit,
        entries=_entries(shown),
    )


@router.post(
    "/rankings/whatif",
    response={200: WhatIfOut, **READ_ERRORS},
    summary="按考核办法草案试算排名(不保存)",
)
def ranking_whatif(request: ApiRequest, body: WhatIfIn) -> WhatIfOut:
    if not request.user.has_role(Role.EDITOR):
        raise NotAllowed(_("只有编辑可以试算考核办法。"))
    department = department_of(request.user)
    groups = whatif(department, body.year, body.rules)
    return WhatIfOut(
        year=body.year,
        rows=[
            WhatIfRowOut(
                unit_code=row.unit.code,
                unit=row.unit.display_name,
                unit_class=row.unit.effective_class,
                current_points=float(row.current.points),
                current_rank=row.current.rank,
                draft_points=float(row.draft.points),
                draft_rank=row.draft.rank,
                move=row.move,
            )
            for group in groups
            for row in group.rows
        ],
    )


@router.put(
    "/items/{item_id}/review",
    response={200: ReviewOut, **WRITE_ERRORS},
    summary="评定信息的类别(参阅类、图片)与质量得分",
)
def item_review(request: ApiRequest, item_id: ObjectId, body: ReviewIn) -> ReviewOut:
    item = access_item(request.user, item_id)
    rubric: dict[str, Any] = {str(key): value for key, value in body.rubric.items()}
    review = services.review_record(actor=request.user, item=item, kind=body.kind, rubric=rubric)
    return ReviewOut(
        item_id=item.pk,
        kind=review.kind,
        rubric=review.rubric,
        score=float(review.score) if review.score is not None else None,
    )
