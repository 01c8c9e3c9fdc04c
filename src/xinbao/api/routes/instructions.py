"""批示反馈: the unit's report on a leader's instruction (领导批示), and its due date."""

from __future__ import annotations

import datetime

from django.http import Http404
from ninja import Router, Schema
from pydantic import Field

from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.schemas import Input, Text, UserRef
from xinbao.items.queries import access_item
from xinbao.publishing.models import Instruction
from xinbao.publishing.services import instruction_feedback_record

router = Router(tags=["批示反馈"])


class FeedbackIn(Input):
    text: Text = Field(min_length=1, max_length=5000, description="落实情况")


class FeedbackOut(Schema):
    instruction_id: int
    item_id: int
    feedback_due_on: datetime.date | None
    feedback_text: str
    feedback_by: UserRef | None
    feedback_at: datetime.datetime | None

    @classmethod
    def build(cls, i: Instruction) -> FeedbackOut:
        return cls(
            instruction_id=i.pk,
            item_id=i.item_id,
            feedback_due_on=i.feedback_due_on,
            feedback_text=i.feedback_text,
            feedback_by=UserRef.build(i.feedback_by) if i.feedback_by else None,
            feedback_at=i.feedback_at,
        )


def access_instruction(request: ApiRequest, instruction_id: int) -> Instruction:
    """The instruction of an item the caller may see (``access_item``), else 404."""
    item_id = (
        Instruction.objects.filter(pk=instruction_id).values_list("item_id", flat=True).first()
    )
    if item_id is None:
        raise Http404
    item = access_item(request.user, item_id)
    return Instruction.objects.select_related("feedback_by").get(pk=instruction_id, item=item)


@router.get(
    "/instructions/{instruction_id}/feedback",
    response={200: FeedbackOut, **READ_ERRORS},
    summary="一条批示的反馈期限和反馈",
)
def instruction_feedback_get(request: ApiRequest, instruction_id: ObjectId) -> FeedbackOut:
    return FeedbackOut.build(access_instruction(request, instruction_id))


@router.post(
    "/instructions/{instruction_id}/feedback",
    response={200: FeedbackOut, **WRITE_ERRORS},
    summary="反馈批示的落实情况(信息所属单位,或本部门编辑代为登记)",
)
def instruction_feedback_post(
    request: ApiRequest, instruction_id: ObjectId, payload: FeedbackIn
) -> FeedbackOut:
    instruction = access_instruction(request, instruction_id)
    done = instruction_feedback_record(
        instruction=instruction, actor=request.user, text=payload.text
    )
    return FeedbackOut.build(Instruction.objects.select_related("feedback_by").get(pk=done.pk))
