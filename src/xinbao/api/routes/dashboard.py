"""Dashboard figures: the same numbers as the pages' charts, tables and .xlsx files.

``GET /dashboard/department`` for editors and department leaders (their department);
``GET /dashboard/units/{unit_id}`` for the unit's own people and the department's staff
(out-of-scope units answer 404, as on the pages).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS, ObjectId
from xinbao.api.schemas import Text
from xinbao.dashboard import queries
from xinbao.dashboard.figures import Figure
from xinbao.dashboard.periods import Period, PeriodError, parse_period
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.orgs.models import DEPARTMENT_ROLES, UNIT_ROLES

router = Router(tags=["统计分析"])


class PeriodParams(Schema):
    period: Text | SkipJsonSchema[None] = Field(
        None, max_length=10, description="month、quarter、year(默认)或 range"
    )
    month: Text | SkipJsonSchema[None] = Field(None, max_length=10, description="如 2026-10")
    quarter: Text | SkipJsonSchema[None] = Field(None, max_length=10, description="如 2026-Q3")
    year: Text | SkipJsonSchema[None] = Field(None, max_length=10, description="如 2026")
    start: Text | SkipJsonSchema[None] = Field(None, max_length=10, description="如 2026-01-01")
    end: Text | SkipJsonSchema[None] = Field(None, max_length=10, description="如 2026-03-31")
    kind: Text | SkipJsonSchema[None] = Field(None, max_length=20, description="单位类别")


class FigureOut(Schema):
    key: str
    title: str
    chart: str
    columns: list[str]
    rows: list[list[str | int | float | None]]
    note: str
    empty: bool

    @classmethod
    def build(cls, figure: Figure) -> FigureOut:
        return cls(
            key=figure.key,
            title=figure.title,
            chart=figure.chart,
            columns=figure.columns,
            rows=figure.rows,
            note=figure.note,
            empty=figure.empty,
        )


class DashboardOut(Schema):
    subject: str = Field(description="组织部门或单位名称")
    period: str = Field(description="时间段,如“2026年10月”")
    start: str
    end: str = Field(description="最后一天")
    figures: list[FigureOut]


def _period(params: PeriodParams) -> Period:
    values = {k: v for k, v in params.dict().items() if v is not None}
    try:
        return parse_period(values)
    except PeriodError as error:
        raise InvalidInput(str(error)) from None


@router.get(
    "/dashboard/department",
    response={200: DashboardOut, **READ_ERRORS},
    summary="本部门的统计图表数据",
)
def dashboard_department(request: ApiRequest, params: Query[PeriodParams]) -> DashboardOut:
    if not request.user.has_role(*DEPARTMENT_ROLES):
        raise NotAllowed(_("只有组织部门的编辑和部领导可以查看本部门统计。"))
    department = queries.dashboard_department(request.user)
    period = _period(params)
    kind = queries.clean_kind(params.kind or "")
    figures = queries.department_dashboard(department, period, kind)
    return DashboardOut(
        subject=department.name,
        period=period.label,
        start=period.start.isoformat(),
        end=period.last_day.isoformat(),
        figures=[FigureOut.build(f) for f in figures],
    )


@router.get(
    "/dashboard/units/{unit_id}",
    response={200: DashboardOut, **READ_ERRORS},
    summary="一个单位的统计图表数据(与全县中位数对比)",
)
def dashboard_unit(
    request: ApiRequest, unit_id: ObjectId, params: Query[PeriodParams]
) -> DashboardOut:
    if not request.user.has_role(*DEPARTMENT_ROLES, *UNIT_ROLES):
        raise Http404
    unit = queries.access_dashboard_unit(request.user, unit_id)
    period = _period(params)
    figures = queries.unit_dashboard(unit, period)
    return DashboardOut(
        subject=unit.name,
        period=period.label,
        start=period.start.isoformat(),
        end=period.last_day.isoformat(),
        figures=[FigureOut.build(f) for f in figures],
    )
