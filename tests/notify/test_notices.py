"""Notices and study materials (上情下达): targeting (all, a class, a list, all officers), read
receipts and who has not read, attachments checked like items' attachments, distribution of a
published issue, pages with constant query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import County
from tests.factories import docx_bytes, make_item, make_unit, make_user, png_bytes
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.services import transition
from xinbao.notify.models import Kind, Notice, NoticeReceipt, Notification
from xinbao.notify.services import NoticeData, issue_distribute, notice_mark_read, notice_publish
from xinbao.orgs.models import Role, Unit, User
from xinbao.publishing.models import Publication
from xinbao.publishing.services import issue_add_item, issue_create, issue_publish

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def publish(county: County, **fields: Any) -> Notice:
    uploads = fields.pop("uploads", ())
    data = NoticeData(
        category=fields.pop("category", Notice.Category.SPIRIT),
        title=fields.pop("title", "学习贯彻全市组织工作会议精神"),
        body=fields.pop("body", "请各单位认真学习会议精神。"),
        targeting=fields.pop("targeting", Notice.Targeting.ALL),
        **fields,
    )
    return notice_publish(actor=county.editor, data=data, uploads=uploads)


def recipients(notice: Notice) -> set[str]:
    return set(notice.receipts.values_list("user__username", flat=True))


@pytest.fixture
def bureau(county: County) -> User:
    unit = make_unit(name="县教育局", kind=Unit.Kind.DEPARTMENT, parent=county.dept)
    return make_user(role=Role.OFFICER, unit=unit, username="off_bureau")


def test_targeting_all_class_list_and_all_officers(county: County, bureau: User) -> None:
    everyone = {"off_a", "off_a2", "lead_a", "off_b", "lead_b", "off_bureau"}
    assert recipients(publish(county)) == everyone
    assert recipients(publish(county, targeting="kind", target_kind=Unit.Kind.DEPARTMENT)) == {
        "off_bureau"
    }
    assert recipients(publish(county, targeting="townships")) == everyone - {"off_bureau"}
    assert recipients(publish(county, targeting="list", units=[county.town_b])) == {
        "off_b",
        "lead_b",
    }
    assert recipients(publish(county, targeting="officers")) == {
        "off_a",
        "off_a2",
        "off_b",
        "off_bureau",
    }


def test_publishing_tells_each_recipient_in_the_inbox(county: County) -> None:
    notice = publish(county, targeting="list", units=[county.town_a])
    messages = Notification.objects.filter(kind=Kind.NOTICE)
    assert set(messages.values_list("recipient__username", flat=True)) == {
        "off_a",
        "off_a2",
        "lead_a",
    }
    assert set(messages.values_list("url", flat=True)) == {f"/notices/{notice.pk}/"}
    assert messages.first().text == "上级会议精神:学习贯彻全市组织工作会议精神"  # type: ignore[union-attr]


def test_only_the_departments_editors_publish_and_bad_input_changes_nothing(
    county: County,
) -> None:
    data = NoticeData(category="notice", title="通知", targeting="all")
    for actor in (county.officer_a, county.dept_leader, county.sysadmin):
        with pytest.raises(NotAllowed):
            notice_publish(actor=actor, data=data)
    with pytest.raises(InvalidInput, match="请填写标题"):
        publish(county, title="  ")
    with pytest.raises(InvalidInput, match="本部门所辖单位"):
        publish(county, targeting="list", units=[county.other_dept])
    with pytest.raises(InvalidInput, match="请选择类别"):
        publish(county, category=Notice.Category.ISSUE)  # only through 分发
    with pytest.raises(InvalidInput, match="只能上传"):
        publish(county, uploads=[SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 10)])
    assert not Notice.objects.exists() and not Notification.objects.exists()


def test_receipt_is_the_first_opening_and_the_board_lists_who_has_not_read(
    county: County,
) -> None:
    notice = publish(county, targeting="townships")
    assert notice_mark_read(notice=notice, actor=county.officer_a) is True
    first = NoticeReceipt.objects.get(notice=notice, user=county.officer_a).read_at
    assert notice_mark_read(notice=notice, actor=county.officer_a) is False
    assert NoticeReceipt.objects.get(notice=notice, user=county.officer_a).read_at == first
    assert notice_mark_read(notice=notice, actor=county.other_officer) is False  # not sent to
    assert Notification.objects.get(recipient=county.officer_a).read_at is not None
    client_for(county.leader_b).get(f"/notices/{notice.pk}/")
    page = client_for(county.editor).get(f"/notices/{notice.pk}/receipts/").content.decode()
    assert "共 5 人,已读 2 人,未读 3 人。" in page
    unread = page[page.index('id="unread-list"') : page.index('id="read-list"')]
    for person in (county.officer_a2, county.leader_a, county.officer_b):
        assert person.display_name in unread
    assert county.officer_a.display_name not in unread


def test_recipients_list_unread_first_and_outsiders_get_404(county: County) -> None:
    old = publish(county, title="旧通知")
    new = publish(county, title="新通知")
    notice_mark_read(notice=new, actor=county.officer_a)
    page = client_for(county.officer_a).get("/notices/").content.decode()
    assert page.index("旧通知") < page.index("新通知")  # unread first
    only_b = publish(county, title="乙镇通知", targeting="list", units=[county.town_b])
    assert client_for(county.officer_a).get(f"/notices/{only_b.pk}/").status_code == 404
    assert client_for(county.other_editor).get(f"/notices/{old.pk}/").status_code == 404
    assert client_for(county.officer_a).get(f"/notices/{old.pk}/receipts/").status_code == 404
    assert (
        "暂无通知和学习资料" in client_for(county.other_officer).get("/notices/").content.decode()
    )


def test_attachments_are_checked_and_downloaded_by_recipients_only(county: County) -> None:
    notice = publish(
        county,
        targeting="list",
        units=[county.town_a],
        uploads=[
            SimpleUploadedFile("会议精神.docx", docx_bytes("一、会议精神")),
            SimpleUploadedFile("../../照片.png", png_bytes()),
        ],
    )
    names = list(notice.attachments.values_list("original_name", "content_type"))
    assert names[0][0] == "会议精神.docx" and names[1] == ("照片.png", "image/png")
    attachment = notice.attachments.first()
    assert attachment is not None
    url = f"/notices/{notice.pk}/attachments/{attachment.pk}/"
    response = client_for(county.officer_a).get(url)
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert client_for(county.officer_b).get(url).status_code == 404


def test_compose_form_publishes_and_keeps_text_on_error(county: County) -> None:
    client = client_for(county.editor)
    response = client.post(
        "/notices/new/",
        {
            "category": "guidance",
            "title": "信息写作指导",
            "body": "写作要点……",
            "targeting": "kind",
        },
    )
    assert response.status_code == 400
    assert "请选择单位类型。" in response.content.decode()
    assert "写作要点……" in response.content.decode()
    response = client.post(
        "/notices/new/",
        {
            "category": "guidance",
            "title": "信息写作指导",
            "body": "写作要点……",
            "targeting": "list",
            "units": [county.town_a.pk],
            "attachments": [SimpleUploadedFile("指导.png", png_bytes())],
        },
    )
    notice = Notice.objects.get()
    assert response["Location"] == f"/notices/{notice.pk}/receipts/"
    assert notice.attachments.count() == 1 and notice.receipts.count() == 3


@pytest.fixture
def published_issue(county: County) -> Any:
    publication = Publication.objects.create(
        department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
    )
    item = make_item(officer=county.officer_a, title="甲镇推行党员积分管理")
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="adopt")
    issue = issue_create(publication=publication, actor=county.editor)
    issue_add_item(issue=issue, item=item, actor=county.editor)
    return issue_publish(issue=issue, actor=county.editor)


def test_distributing_a_published_issue_creates_a_notice_linking_to_it(
    county: County, published_issue: Any
) -> None:
    response = client_for(county.editor).post(
        f"/issues/{published_issue.pk}/distribute/", {"targeting": "townships"}
    )
    notice = Notice.objects.get()
    assert response["Location"] == f"/notices/{notice.pk}/receipts/"
    assert (notice.category, notice.issue) == (Notice.Category.ISSUE, published_issue)
    assert notice.title.startswith("《组工信息》")
    page = client_for(county.officer_b).get(f"/notices/{notice.pk}/").content.decode()
    assert f"/notices/{notice.pk}/issue.docx" in page
    download = client_for(county.officer_b).get(f"/notices/{notice.pk}/issue.docx")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    assert NoticeReceipt.objects.get(notice=notice, user=county.officer_b).read_at is not None


def test_a_draft_issue_cannot_be_distributed(county: County) -> None:
    publication = Publication.objects.create(
        department=county.dept, name="组工信息", kind=Publication.Kind.PERIODICAL
    )
    draft = issue_create(publication=publication, actor=county.editor)
    with pytest.raises(InvalidInput, match="已发布"):
        issue_distribute(issue=draft, actor=county.editor, targeting="all")
    assert client_for(county.other_editor).get(f"/issues/{draft.pk}/distribute/").status_code == 404


def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_notice_pages_query_counts_do_not_grow(county: County, bureau: User) -> None:
    first = publish(county)
    editor, officer = client_for(county.editor), client_for(county.officer_a)
    pages = [
        (editor, "/notices/"),
        (editor, f"/notices/{first.pk}/receipts/"),
        (officer, "/notices/"),
        (editor, f"/notices/{first.pk}/"),
    ]
    small = [count_queries(c, url) for c, url in pages]
    for n in range(6):
        unit = make_unit(name=f"新镇{n}", parent=county.dept)
        make_user(role=Role.OFFICER, unit=unit)
    for n in range(5):
        notice = publish(county, title=f"通知{n}")
        notice_mark_read(notice=notice, actor=county.officer_a)
    NoticeReceipt.objects.filter(notice=first).delete()
    first.receipts.model.objects.bulk_create(
        [
            NoticeReceipt(notice=first, user=u, unit_id=u.unit_id)
            for u in User.objects.filter(role=Role.OFFICER, unit__department=county.dept)
        ]
    )
    assert [count_queries(c, url) for c, url in pages] == small


def test_demo_notices_are_published_once_half_read(county: County) -> None:
    from xinbao.notify.demo import seed_demo_notices

    assert seed_demo_notices(county.dept) == 2
    assert seed_demo_notices(county.dept) == 0
    spirit = Notice.objects.get(category=Notice.Category.SPIRIT)
    assert spirit.receipts.count() == 5
    assert spirit.receipts.filter(read_at__isnull=False).count() == 2
    read_users = spirit.receipts.filter(read_at__isnull=False).values_list("user_id", flat=True)
    assert not Notification.objects.filter(
        recipient_id__in=read_users, url=f"/notices/{spirit.pk}/", read_at=None
    ).exists()
