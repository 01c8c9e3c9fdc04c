"""Demo notices (上情下达) for ``xinbao demo_data``: a meeting's spirit to every unit and a
writing guide to the townships, about half of them read. Running it again adds nothing."""

from __future__ import annotations

from django.urls import reverse

from xinbao.notify.models import Kind, Notice, NoticeReceipt, Notification
from xinbao.notify.services import NoticeData, notice_publish
from xinbao.orgs.models import Role, Unit, User

DEMO_NOTICES = [
    NoticeData(
        category=Notice.Category.SPIRIT,
        title="学习贯彻全市组织部长会议精神",
        body=(
            "全市组织部长会议强调,组工信息工作要围绕中心、服务大局,坚持"
            "“今天的消息是金子,昨天的消息是银子”,第一时间反映新情况、新问题。\n"
            "请各单位组织信息员认真学习,结合实际抓好贯彻落实。"
        ),
        targeting=Notice.Targeting.ALL,
    ),
    NoticeData(
        category=Notice.Category.GUIDANCE,
        title="组工信息写作指导:如何写好经验类信息",
        body=(
            "一是标题要亮,一句话点明做法和成效;二是导语要实,交代背景、做法、效果;"
            "三是层次要清,“一是、二是、三是”逐条展开,每条都有具体数据和事例。"
        ),
        targeting=Notice.Targeting.TOWNSHIPS,
    ),
]


def seed_demo_notices(department: Unit) -> int:
    """Publish the demo notices as the department's first editor, once. Returns how many."""
    if Notice.objects.filter(department=department).exists():
        return 0
    editor = (
        User.objects.filter(unit=department, role=Role.EDITOR, is_active=True)
        .order_by("pk")
        .first()
    )
    if editor is None:
        return 0
    made = 0
    for data in DEMO_NOTICES:
        notice = notice_publish(actor=editor, data=NoticeData(**vars(data)))
        receipts = list(notice.receipts.order_by("pk").values_list("pk", "user_id"))
        read = receipts[: len(receipts) // 2]
        NoticeReceipt.objects.filter(pk__in=[pk for pk, _user in read]).update(
            read_at=notice.published_at
        )
        Notification.objects.filter(  # their inbox messages about it are read with it
            recipient_id__in=[user for _pk, user in read],
            kind=Kind.NOTICE,
            url=reverse("notify:notice", kwargs={"pk": notice.pk}),
        ).update(read_at=notice.published_at)
        made += 1
    return made
