"""Units the caller works with."""

from __future__ import annotations

from ninja import Router

from xinbao.api import queries
from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS
from xinbao.api.schemas import UnitOut

router = Router(tags=["单位"])


@router.get(
    "/units",
    response={200: list[UnitOut], **READ_ERRORS},
    summary="我工作涉及的单位",
    description=(
        "信息员、分管领导:本单位,以及可作为联合报送单位的同级单位;"
        "编辑、部领导:本组织部门及向其报送信息的全部单位;管理员:无。"
    ),
)
def unit_list(request: ApiRequest) -> list[UnitOut]:
    return [UnitOut.build(u) for u in queries.units_for(request.user)]
