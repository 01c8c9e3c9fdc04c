"""The assessment's setup, as on the editors' pages: the year's rule set (考核办法), the units'
assessment classes (考核类别) and the deduction facts (扣分登记) with their withdrawal; and the
year-end proposals and criticism list.

Reading is for the department's editors and leaders (``web.access.department_of``: anyone else
answers 404); writing is for editors (the services check it). Every write goes through the same
service as the page, so validation, audit and the ledger's refresh are the same.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema

from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.routes.scoring import RankRowOut, rank_row_out
from xinbao.api.schemas import BodyId, IsoDate, Text, json_integer
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Item
from xinbao.orgs.models import CLASS_LABELS, Role, Unit, allowed_classes
from xinbao.scoring import queries, services
from xinbao.scoring.models import ManualAdjustment, RuleSet
from xinbao.scoring.periods import year_period
from xinbao.scoring.ranking import class_of
from xinbao.scoring.yearend import Thresholds, commendations, criticism
from xinbao.web.access import department_of

router = Router(tags=["考核"])

Year = Annotated[int, Field(ge=2000, le=2100)]
BodyYear = Annotated[int, Field(ge=2000, le=2100), BeforeValidator(json_integer)]


def _check_editor(request: ApiRequest) -> None:
    if not request.user.has_role(Role.EDITOR):
        raise NotAllowed(_("只有编辑可以修改考核设置。"))


# -- rule sets -----------------------------------------------------------------------------------


class RulesParams(Schema):
    year: Year | SkipJsonSchema[None] = Field(None, description="年度,默认今年")


class RuleSetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    year: BodyYear
    name: Text = Field(min_length=1, max_length=100, description="考核办法名称")
    rules: dict[str, JsonValue] = Field(description="考核办法(与导出文件的 rules 相同)")


class RuleSetOut(Schema):
    year: int
    name: str
    rules: dict[str, JsonValue]
    saved: bool = Field(
        description="为 false 时本年度尚无考核办法,返回的是上一年度的办法或示例办法,供起草"
    )
    updated_at: datetime.datetime | None


def _ruleset_out(department: Unit, year: int, ruleset: RuleSet | None) -> RuleSetOut:
    name, rules = queries.ruleset_start(department, year, ruleset)
    return RuleSetOut(
        year=year,
        name=name,
        rules=rules,
        saved=ruleset is not None,
        updated_at=ruleset.updated_at if ruleset is not None else None,
    )


@router.get("/assessment/rules", response={200: RuleSetOut, **READ_ERRORS}, summary="年度考核办法")
def rules_get(request: ApiRequest, params: Query[RulesParams]) -> RuleSetOut:
    department = department_of(request.user)
    year = params.year or timezone.localdate().year
    return _ruleset_out(department, year, queries.ruleset_of(department, year))


@router.put(
    "/assessment/rules",
    response={200: RuleSetOut, **WRITE_ERRORS},
    summary="保存年度考核办法(校验不通过则不保存;保存后重算该年度计分)",
)
def rules_put(request: ApiRequest, body: RuleSetIn) -> RuleSetOut:
    department = department_of(request.user)
    _check_editor(request)
    ruleset = services.ruleset_save(
        department=department,
        year=body.year,
        name=body.name.strip(),
        rules=body.rules,
        actor=request.user,
    )
    return _ruleset_out(department, body.year, ruleset)


# -- assessment classes --------------------------------------------------------------------------


class UnitClassOut(Schema):
    unit_id: int
    unit_code: str
    unit: str
    unit_class: str = Field(description="考核类别代码,如 dept_a")
    unit_class_label: str = Field(description="考核类别名称,如 县直部门A类")
    allowed: list[str] = Field(description="这个单位可选的考核类别代码")


class UnitClassIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit_code: Text = Field(min_length=1, max_length=40)
    unit_class: Text = Field(
        min_length=1, max_length=20, description="类别代码(dept_a)或中文名称(县直部门A类)"
    )


class UnitClassesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    classes: list[UnitClassIn] = Field(min_length=1, max_length=5000)


class UnitClassesOut(Schema):
    changed: int = Field(description="类别有变化的单位数")
    units: list[UnitClassOut]


def _classes_out(department: Unit) -> list[UnitClassOut]:
    return [
        UnitClassOut(
            unit_id=unit.pk,
            unit_code=unit.code,
            unit=unit.display_name,
            unit_class=unit.effective_class,
            unit_class_label=str(CLASS_LABELS[unit.effective_class]),
            allowed=list(allowed_classes(unit.kind)),
        )
        for unit in queries.assessed_units(department)
    ]


@router.get(
    "/assessment/classes",
    response={200: list[UnitClassOut], **READ_ERRORS},
    summary="各单位的考核类别",
)
def classes_get(request: ApiRequest) -> list[UnitClassOut]:
    return _classes_out(department_of(request.user))


@router.put(
    "/assessment/classes",
    response={200: UnitClassesOut, **WRITE_ERRORS},
    summary="设置单位的考核类别(任何一项有误则都不保存)",
)
def classes_put(request: ApiRequest, body: UnitClassesIn) -> UnitClassesOut:
    department = department_of(request.user)
    _check_editor(request)
    codes = [entry.unit_code.strip() for entry in body.classes]
    units = dict(
        queries.assessed_units(department).filter(code__in=codes).values_list("code", "pk")
    )
    problems: list[str] = []
    classes: dict[int, str] = {}
    for entry in body.classes:
        code = entry.unit_code.strip()
        try:
            value = class_of(entry.unit_class)
        except ValueError as error:
            problems.append(str(error))
            continue
        if code not in units:
            problems.append(_("单位代码“%(code)s”不属于本部门,或不存在。") % {"code": code})
        elif value is not None:
            classes[units[code]] = value
    if problems:
        raise InvalidInput(";".join(problems))
    changed = services.unit_classes_set(actor=request.user, department=department, classes=classes)
    return UnitClassesOut(changed=len(changed), units=_classes_out(department))


# -- deductions ----------------------------------------------------------------------------------


class AdjustmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["late_report", "inaccurate", "other"] = Field(
        description="late_report(迟报)、inaccurate(信息失实)、other(其他违反报送规定)"
    )
    reason: Text = Field(min_length=1, max_length=2000, description="扣分事由")
    occurred_on: IsoDate = Field(description="发生日期")
    count: Annotated[int, Field(ge=1, le=100), BeforeValidator(json_integer)] = Field(
        1, description="次数"
    )
    item_id: BodyId | SkipJsonSchema[None] = Field(None, description="相关信息(须为该单位报送)")


class AdjustmentOut(Schema):
    id: int
    unit_code: str
    year: int
    kind: str
    kind_label: str
    count: int
    occurred_on: datetime.date
    reason: str
    item_id: int | None
    revoked: bool
    revoke_reason: str


class AdjustmentsParams(Schema):
    year: Year | SkipJsonSchema[None] = Field(None, description="年度,默认今年")


class RevokeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000, description="撤销原因")


def _adjustment_out(adjustment: ManualAdjustment, unit_code: str) -> AdjustmentOut:
    return AdjustmentOut(
        id=adjustment.pk,
        unit_code=unit_code,
        year=adjustment.year,
        kind=adjustment.kind,
        kind_label=str(adjustment.get_kind_display()),
        count=adjustment.count,
        occurred_on=adjustment.occurred_on,
        reason=adjustment.reason,
        item_id=adjustment.item_id,
        revoked=adjustment.revoked_at is not None,
        revoke_reason=adjustment.revoke_reason,
    )


@router.get(
    "/units/{unit_id}/adjustments",
    response={200: list[AdjustmentOut], **READ_ERRORS},
    summary="单位的扣分登记",
)
def adjustments_get(
    request: ApiRequest, unit_id: ObjectId, params: Query[AdjustmentsParams]
) -> list[AdjustmentOut]:
    department = department_of(request.user)
    unit = queries.access_statement_unit(request.user, unit_id)
    year = params.year or timezone.localdate().year
    found = ManualAdjustment.objects.filter(department=department, unit=unit, year=year)
    return [_adjustment_out(a, unit.code) for a in found.order_by("occurred_on", "pk")[:1000]]


@router.post(
    "/units/{unit_id}/adjustments",
    response={201: AdjustmentOut, **WRITE_ERRORS},
    summary="登记扣分(分值由考核办法决定)",
)
def adjustment_post(
    request: ApiRequest, unit_id: ObjectId, body: AdjustmentIn
) -> Status[AdjustmentOut]:
    department_of(request.user)
    unit = queries.access_statement_unit(request.user, unit_id)
    item = None
    if body.item_id is not None:
        item = Item.objects.filter(pk=body.item_id, department=unit.department_id).first()
        if item is None:
            raise InvalidInput(_("相关信息不存在,或不是本部门收到的信息。"))
    adjustment = services.adjustment_record(
        actor=request.user,
        unit=unit,
        kind=body.kind,
        reason=body.reason,
        occurred_on=body.occurred_on,
        count=body.count,
        item=item,
    )
    return Status(201, _adjustment_out(adjustment, unit.code))


@router.post(
    "/adjustments/{adjustment_id}/revoke",
    response={200: AdjustmentOut, **WRITE_ERRORS},
    summary="撤销扣分登记(保留记录)",
)
def adjustment_revoke(
    request: ApiRequest, adjustment_id: ObjectId, body: RevokeIn
) -> AdjustmentOut:
    adjustment = queries.access_adjustment(request.user, adjustment_id)
    services.adjustment_revoke(actor=request.user, adjustment=adjustment, reason=body.reason)
    return _adjustment_out(adjustment, adjustment.unit.code)


# -- year-end outputs ----------------------------------------------------------------------------


class YearendParams(Schema):
    year: Year | SkipJsonSchema[None] = Field(None, description="年度,默认今年")
    units_per_class: int = Field(3, ge=0, le=50, description="每个类别推荐的先进单位数")
    unit_min_points: float = Field(0, ge=0, le=100_000, description="先进单位的最低得分")
    unit_min_completion: int = Field(
        100, ge=0, le=1000, description="先进单位的报送任务完成率下限(百分比)"
    )
    exclude_missed_topics: bool = Field(True, description="有未回应约稿的单位不推荐")
    officers: int = Field(5, ge=0, le=100, description="推荐的优秀信息员数")
    officer_min_adopted: int = Field(3, ge=0, le=1000, description="优秀信息员的最低采用数")
    good_items: int = Field(5, ge=3, le=5, description="推荐的优秀信息条数")


class ProposalGroupOut(Schema):
    unit_class: str
    label: str
    rows: list[RankRowOut]


class GoodItemOut(Schema):
    item_id: int
    title: str
    unit: str
    points: float
    best_level: str


class UnitPeriodsOut(Schema):
    unit_code: str
    unit: str
    periods: list[str] = Field(description="未报送信息的月份或季度")


class UnitTopicsOut(Schema):
    unit_code: str
    unit: str
    topics: list[str] = Field(description="未回应的约稿")


class YearendOut(Schema):
    year: int
    units: list[ProposalGroupOut] = Field(description="先进单位建议名单,按考核类别")
    officers: list[RankRowOut] = Field(description="优秀信息员建议名单")
    good_items: list[GoodItemOut] = Field(description="优秀信息建议篇目")
    below_quota: list[RankRowOut] = Field(description="未完成报送任务的单位")
    silent: list[UnitPeriodsOut] = Field(description="整月或整季度未报送信息的单位")
    missed_topics: list[UnitTopicsOut] = Field(description="未回应约稿的单位")


@router.get(
    "/assessment/yearend",
    response={200: YearendOut, **READ_ERRORS},
    summary="年终:先进单位、优秀信息员、优秀信息的建议名单和通报批评名单",
)
def yearend_get(request: ApiRequest, params: Query[YearendParams]) -> YearendOut:
    """As the year-end page: proposals under the given thresholds (the page's defaults when
    omitted) and the criticism list of the closed months and quarters."""
    department = department_of(request.user)
    year = params.year or timezone.localdate().year
    thresholds = Thresholds(
        units_per_class=params.units_per_class,
        unit_min_points=Decimal(str(params.unit_min_points)),
        unit_min_completion=params.unit_min_completion / 100,
        exclude_missed_topics=params.exclude_missed_topics,
        officers=params.officers,
        officer_min_adopted=params.officer_min_adopted,
        good_items=params.good_items,
    ).clamp()
    period = year_period(year)
    proposals = commendations(department, year, thresholds)
    listed = criticism(department, year, timezone.localdate())
    return YearendOut(
        year=year,
        units=[
            ProposalGroupOut(
                unit_class=group.kind,
                label=str(group.label),
                rows=[rank_row_out(row, period) for row in group.rows],
            )
            for group in proposals.units
        ],
        officers=[rank_row_out(row, period) for row in proposals.officers],
        good_items=[
            GoodItemOut(
                item_id=good.item.pk,
                title=good.item.title,
                unit=good.item.unit.display_name,
                points=float(good.points),
                best_level=good.best_level,
            )
            for good in proposals.items
        ],
        below_quota=[rank_row_out(row, period) for row in listed.below_quota],
        silent=[
            UnitPeriodsOut(unit_code=unit.code, unit=unit.display_name, periods=periods)
            for unit, periods in listed.silent
        ],
        missed_topics=[
            UnitTopicsOut(unit_code=unit.code, unit=unit.display_name, topics=titles)
            for unit, titles in listed.missed_topics
        ],
    )
