"""Publishing pages through the test client: scope, the item's timeline, query bounds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import County
from tests.factories import PASSWORD
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.publishing import services
from xinbao.publishing.models import Publication

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


def test_officer_sees_the_whole_story_of_the_item_in_order(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    item = adopted(title="甲镇推行党员积分管理")
    issue = services.issue_create(publication=periodical, actor=county.editor)
    services.issue_add_item(issue=issue, item=item, actor=county.editor)
    services.issue_publish(issue=issue, actor=county.editor)
    services.instruction_record(
        item=item,
        actor=county.editor,
        level="county",
        leader_title="县委书记",
        leader_name="",
        instructed_on=timezone.localdate(),
        text="好经验,要推广。",
    )
    page = client_for(county.officer_a).get(f"/items/{item.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    positions = [
        timeline.index(marker) for marker in ("已报送", "已采用", "《组工信息》", "领导批示")
    ]
    assert positions == sorted(positions)
    assert "好经验,要推广。" in timeline
    # Officers get no recognition forms; the editor does.
    assert "登记领导批示" not in page
    assert "登记领导批示" in client_for(county.editor).get(f"/items/{item.pk}/").content.decode()


def test_issue_pages_are_scoped_to_the_department(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    issue = services.issue_create(publication=periodical, actor=county.editor)
    editor = client_for(county.editor)
    assert editor.get(f"/issues/{issue.pk}/").status_code == 200
    assert editor.get("/publications/").status_code == 200
    assert client_for(county.dept_leader).get(f"/issues/{issue.pk}/").status_code == 200
    for outsider in (county.other_editor, county.officer_a, county.leader_a):
        assert client_for(outsider).get(f"/issues/{issue.pk}/").status_code == 404
        assert client_for(outsider).post(f"/issues/{issue.pk}/publish/").status_code == 404
    # The department leader reads but does not publish.
    assert client_for(county.dept_leader).post(f"/issues/{issue.pk}/publish/").status_code == 404


def test_publish_through_the_page_and_refusals_are_shown(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    editor = client_for(county.editor)
    issue = services.issue_create(publication=periodical, actor=county.editor)
    refused = editor.post(f"/issues/{issue.pk}/publish/", follow=True).content.decode()
    assert "还没有编入任何信息" in refused
    item = adopted()
    editor.post(f"/issues/{issue.pk}/add/", {"item": item.pk})
    done = editor.post(f"/issues/{issue.pk}/publish/", follow=True).content.decode()
    assert "总第345期" in done
    word = editor.get(f"/issues/{issue.pk}/word/")
    assert word.status_code == 200
    assert word["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in word["Content-Disposition"]


@pytest.mark.parametrize("count", [2, 12])
def test_issue_page_queries_do_not_grow_with_entries(
    count: int,
    county: County,
    periodical: Publication,
    adopted: Callable[..., Item],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    issue = services.issue_create(publication=periodical, actor=county.editor)
    for n in range(count):
        services.issue_add_item(issue=issue, item=adopted(title=f"信息{n}"), actor=county.editor)
    editor = client_for(county.editor)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert editor.get(f"/issues/{issue.pk}/").status_code == 200


def test_forwarded_inbox_lists_and_decides(county: County, adopted: Callable[..., Item]) -> None:
    from tests.factories import make_user
    from xinbao.orgs.models import Role

    city = county.dept.parent
    city_editor = make_user(role=Role.EDITOR, unit=city, username="city_ed")
    item = adopted()
    forwarding = services.item_forward(item=item, actor=county.editor)
    client = client_for(city_editor)
    assert item.title in client.get("/forwarded/").content.decode()
    refused = client.post(f"/forwarded/{forwarding.pk}/", {"decision": "decline"}, follow=True)
    assert "不采用时请填写意见" in refused.content.decode()
    client.post(f"/forwarded/{forwarding.pk}/", {"decision": "adopt"})
    forwarding.refresh_from_db()
    assert forwarding.state == "adopted"
    assert (
        client_for(county.editor)
        .post(f"/forwarded/{forwarding.pk}/", {"decision": "adopt"})
        .status_code
        == 404
    )
    _ = transition  # the fixture moved the item through the real workflow
