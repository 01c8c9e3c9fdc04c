"""The 保密 self-check of an item: its findings and the latest confirmation.

The confirmation itself is given with the submission: ``POST /items/{id}/transitions`` with
``action`` submit or resubmit and ``secrecy_name`` (the officer's own name), in the same
transaction as the move, as the page does.
"""

from __future__ import annotations

import datetime

from ninja import Router, Schema
from pydantic import Field

from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS, ObjectId
from xinbao.items import queries
from xinbao.items.secrecy import Finding

router = Router(tags=["保密自查"])


class FindingOut(Schema):
    kind: str = Field(description="mark 密级标志、id_card 身份证号、mobile 手机号、term 内部用语")
    kind_label: str
    source: str = Field(description="标题、正文或“附件:文件名”")
    paragraph: int = Field(description="段落序号,从 1 起")
    offset: int = Field(description="段内字符位置,从 0 起")
    text: str = Field(description="命中的文字")
    before: str = Field(description="前文")
    after: str = Field(description="后文")

    @classmethod
    def build(cls, finding: Finding) -> FindingOut:
        return cls(**finding.as_dict())  # type: ignore[arg-type]


class SecrecyReviewOut(Schema):
    id: int
    reviewer: str = Field(description="确认人账号")
    typed_name: str = Field(description="确认时输入的姓名")
    created_at: datetime.datetime
    finding_count: int


class SecrecyOut(Schema):
    item: int
    count: int = Field(description="当前正文、标题和附件中的提示数")
    findings: list[FindingOut]
    needs_confirmation: bool = Field(description="报送前须填写 secrecy_name 确认")
    publishable_on_web: bool = Field(description="无提示时才能编入网站专栏")
    review: SecrecyReviewOut | None = Field(None, description="最近一次保密审查")
    review_covers_findings: bool = Field(description="最近一次确认是否覆盖当前全部提示")


@router.get(
    "/items/{item_id}/secrecy",
    response={200: SecrecyOut, **READ_ERRORS},
    summary="保密自查结果",
    description=(
        "按当前文字(标题、正文、附件)重新检查:密级标志、身份证号、手机号和本部门的内部用语,"
        "每条给出位置和上下文。有提示的信息,信息员报送时须在 transitions 中填写 secrecy_name。"
    ),
)
def item_secrecy(request: ApiRequest, item_id: ObjectId) -> SecrecyOut:
    item = queries.access_item(request.user, item_id)
    status = queries.secrecy_status(item)
    review = status.review
    return SecrecyOut(
        item=item.pk,
        count=len(status.findings),
        findings=[FindingOut.build(f) for f in status.findings],
        needs_confirmation=status.needs_confirmation,
        publishable_on_web=not status.findings,
        review=(
            SecrecyReviewOut(
                id=review.pk,
                reviewer=review.reviewer.get_username(),
                typed_name=review.typed_name,
                created_at=review.created_at,
                finding_count=len(review.findings),
            )
            if review is not None
            else None
        ),
        review_covers_findings=status.covered,
    )
