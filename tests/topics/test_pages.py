"""Topic, key-work and timeliness pages through the test client: who sees what, the forms,
answering from the item form, and query counts that do not grow with rows."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import County
from tests.factories import category, make_item, make_unit, make_user
from tests.topics.conftest import Clock, Extra, IssueTopic
from xinbao.items.models import Item, State, Urgency
from xinbao.items.services import transition
from xinbao.orgs.models import Role, Unit, User
from xinbao.topics.key_work_seed import seed_key_work
from xinbao.topics.models import KeyWorkArea, KeyWorkTag, Topic, TopicTarget
from xinbao.topics.services import item_key_work_set, topic_decline, topic_mark_read

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def heading(page: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page, re.S)
    return match.group(1).strip() if match else ""


# Who sees what.


def test_every_topic_page_renders_for_its_roles(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    topic = issue()
    area = KeyWorkArea.objects.create(department=county.dept, year=2026, name="基层组织建设")
    pages: list[tuple[User, str, str]] = [
        (county.editor, "/topics/", "约稿"),
        (county.editor, "/topics/new/", "发出约稿"),
        (county.editor, f"/topics/{topic.pk}/", "约稿进度"),
        (county.dept_leader, "/topics/", "约稿"),
        (county.dept_leader, f"/topics/{topic.pk}/", "约稿进度"),
        (county.officer_a, "/topics/", "约稿"),
        (county.officer_a, f"/topics/{topic.pk}/", "约稿"),
        (county.leader_a, f"/topics/{topic.pk}/", "约稿"),
        (county.editor, "/key-work/?year=2026", "2026 年工作要点"),
        (county.editor, f"/key-work/{area.pk}/", "修改工作要点"),
        (county.editor, "/key-work/coverage/?year=2026", "工作要点覆盖情况"),
        (county.dept_leader, "/key-work/coverage/", "工作要点覆盖情况"),
        (county.dept_leader, "/timeliness/", "报送时效"),
        (county.editor, "/timeliness/", "报送时效"),
    ]
    answers = [
        (p.username, url, r.status_code, heading(text(r)))
        for p, url, _h in pages
        for r in [client_for(p).get(url)]
    ]
    assert answers == [(p.username, url, 200, h) for p, url, h in pages]


def test_outsiders_get_404(county: County, extra: Extra, issue: IssueTopic) -> None:
    topic = issue(targeting=Topic.Targeting.LIST, units=[county.town_a])
    area = KeyWorkArea.objects.create(department=county.dept, year=2026, name="基层组织建设")
    url = f"/topics/{topic.pk}/"
    for outsider in (county.other_editor, county.other_officer, county.officer_b, county.sysadmin):
        assert client_for(outsider).get(url).status_code == 404, outsider.username
    assert client_for(county.other_editor).post(f"{url}close/").status_code == 404
    assert client_for(county.officer_b).post(f"{url}decline/", {"reason": "x"}).status_code == 404
    assert client_for(county.other_editor).get(f"/key-work/{area.pk}/").status_code == 404
    for unit_person in (county.officer_a, county.leader_a):
        for page in ("/topics/new/", "/key-work/", "/key-work/coverage/", "/timeliness/"):
            assert client_for(unit_person).get(page).status_code == 404
    # The department leader reads the key work but does not edit it.
    assert client_for(county.dept_leader).get(f"/key-work/{area.pk}/").status_code == 404


def test_officers_list_only_the_topics_sent_to_their_unit(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    issue(title="发给甲镇的约稿", targeting=Topic.Targeting.LIST, units=[county.town_a])
    issue(
        title="发给各部门的约稿", targeting=Topic.Targeting.KIND, target_kind=Unit.Kind.DEPARTMENT
    )
    page = text(client_for(county.officer_a).get("/topics/"))
    assert "发给甲镇的约稿" in page and "发给各部门的约稿" not in page
    other = text(client_for(county.other_editor).get("/topics/"))
    assert "发给甲镇的约稿" not in other and "还没有发出过约稿" in other
    mine = text(client_for(county.editor).get("/topics/"))
    assert "发给甲镇的约稿" in mine and "发给各部门的约稿" in mine


def test_opening_the_topic_records_read_once_and_editors_do_not(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    client_for(county.editor).get(f"/topics/{topic.pk}/")
    assert not TopicTarget.objects.exclude(read_at=None).exists()
    first = clock.advance(minutes=5)
    client_for(county.officer_a).get(f"/topics/{topic.pk}/")
    clock.advance(minutes=5)
    client_for(county.leader_a).get(f"/topics/{topic.pk}/")
    row = TopicTarget.objects.get(topic=topic, unit=county.town_a)
    assert (row.read_at, row.read_by) == (first, county.officer_a)


# Issuing and answering through the pages.


def deadline_input(days: int = 3) -> str:
    return (timezone.localtime() + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_issue_a_topic_to_a_list_through_the_form(county: County, extra: Extra) -> None:
    response = client_for(county.editor).post(
        "/topics/new/",
        {
            "title": "村级组织换届“回头看”",
            "wanted": "请反映换届后新班子运行情况。",
            "requirements": "800 字以内。",
            "deadline": deadline_input(),
            "targeting": "list",
            "units": [county.town_a.pk, extra.bureau_x.pk],
        },
        follow=True,
    )
    topic = Topic.objects.get()
    assert response.redirect_chain[-1][0] == f"/topics/{topic.pk}/"
    assert "约稿已发出,共 2 个单位" in text(response)
    assert {t.unit for t in topic.targets.all()} == {county.town_a, extra.bureau_x}


def test_refused_topic_keeps_what_was_typed(county: County) -> None:
    response = client_for(county.editor).post(
        "/topics/new/",
        {"title": "约稿题目", "wanted": "内容", "deadline": deadline_input(), "targeting": "list"},
    )
    page = text(response)
    assert "请至少选择一个单位" in page and 'value="约稿题目"' in page
    assert not Topic.objects.exists()


def test_reply_button_opens_the_item_form_with_the_topic_chosen(
    county: County, issue: IssueTopic
) -> None:
    topic = issue()
    officer = client_for(county.officer_a)
    detail = text(officer.get(f"/topics/{topic.pk}/"))
    assert f'href="/items/new/?topic={topic.pk}"' in detail and "回复约稿" in detail
    form = text(officer.get(f"/items/new/?topic={topic.pk}"))
    assert re.search(rf'<option value="{topic.pk}" selected>', form)
    # The unit leader reads but does not write.
    assert "/items/new/?topic=" not in text(client_for(county.leader_a).get(f"/topics/{topic.pk}/"))


def test_save_and_submit_an_answer_from_the_item_form(
    county: County, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue()
    response = client_for(county.officer_a).post(
        "/items/new/",
        {
            "title": "甲镇换届工作中推行“三审联审”",
            "body": "甲镇在换届中推行资格“三审联审”。",
            "category": category().pk,
            "urgency": Urgency.NORMAL,
            "topic": topic.pk,
            "then": "submit",
        },
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.topic, item.state) == (topic, State.SUBMITTED)
    row = TopicTarget.objects.get(topic=topic, unit=county.town_a)
    assert (row.outcome, row.answered_at) == (TopicTarget.Outcome.ANSWERED_ON_TIME, clock.now)
    board = text(client_for(county.editor).get(f"/topics/{topic.pk}/"))
    assert item.title in board


def test_item_form_offers_only_open_topics_of_the_unit(
    county: County, extra: Extra, issue: IssueTopic
) -> None:
    mine = issue(title="发给甲镇的约稿", targeting=Topic.Targeting.LIST, units=[county.town_a])
    issue(title="发给丙镇的约稿", targeting=Topic.Targeting.LIST, units=[extra.town_c])
    Topic.objects.filter(pk=mine.pk).update(state=Topic.State.CLOSED)
    issue(title="开放的约稿", targeting=Topic.Targeting.TOWNSHIPS)
    form = text(client_for(county.officer_a).get("/items/new/"))
    assert "开放的约稿" in form
    assert "发给甲镇的约稿" not in form and "发给丙镇的约稿" not in form
    # No topic to answer: no field at all.
    assert 'name="topic"' not in text(client_for(extra.officer_x).get("/items/new/"))


def test_decline_through_the_page(county: County, issue: IssueTopic) -> None:
    topic = issue()
    officer = client_for(county.officer_a)
    refused = officer.post(f"/topics/{topic.pk}/decline/", {"reason": ""})
    assert refused.status_code == 400
    response = officer.post(
        f"/topics/{topic.pk}/decline/", {"reason": "本镇本月无换届。"}, follow=True
    )
    assert "已说明不报的原因" in text(response)
    board = text(client_for(county.editor).get(f"/topics/{topic.pk}/"))
    assert "本镇本月无换届。" in board and "已说明不报" in board


def test_board_page_shows_counts_and_countdown(
    county: County, extra: Extra, clock: Clock, issue: IssueTopic
) -> None:
    topic = issue(deadline=clock.now + datetime.timedelta(days=2, hours=3, minutes=10))
    topic_mark_read(topic=topic, actor=county.officer_b)
    page = text(client_for(county.editor).get(f"/topics/{topic.pk}/"))
    assert "剩 2 天 3 小时" in page
    summary = page[page.index('id="board-summary"') :]
    assert "<strong>1</strong>已读" in summary and "<strong>2</strong>未读" in summary
    clock.set(topic.deadline + datetime.timedelta(days=1, hours=2))
    late = text(client_for(county.editor).get(f"/topics/{topic.pk}/"))
    assert "已逾期 1 天" in late and "结束约稿" in late


def test_close_through_the_page(county: County, clock: Clock, issue: IssueTopic) -> None:
    topic = issue()
    editor = client_for(county.editor)
    assert "截止时间之前" in text(editor.post(f"/topics/{topic.pk}/close/", follow=True))
    clock.set(topic.deadline + datetime.timedelta(hours=1))
    client_for(county.editor).post(f"/topics/{topic.pk}/close/")  # a new session: days later
    topic.refresh_from_db()
    assert topic.state == Topic.State.CLOSED


# Key work pages.


def test_editor_builds_the_tree_on_the_page(county: County) -> None:
    editor = client_for(county.editor)
    editor.post("/key-work/?year=2026", {"name": "五大目标", "sort_order": 20, "is_active": "on"})
    root = KeyWorkArea.objects.get(name="五大目标")
    editor.post(
        "/key-work/?year=2026",
        {"name": "基层组织建设要有新提高", "parent": root.pk, "sort_order": 1, "is_active": "on"},
    )
    editor.post("/key-work/?year=2026", {"name": "一个统领", "sort_order": 10, "is_active": "on"})
    page = text(editor.get("/key-work/?year=2026"))
    page = page[page.index('id="key-work-tree"') :]
    order = [page.index(n) for n in ("一个统领", "五大目标", "基层组织建设要有新提高")]
    assert order == sorted(order)
    child = KeyWorkArea.objects.get(name="基层组织建设要有新提高")
    assert (child.parent, child.year, child.department) == (root, 2026, county.dept)
    # A parent with children cannot be deleted; a leaf can.
    assert "不能删除" in text(editor.post(f"/key-work/{root.pk}/", {"delete": "1"}, follow=True))
    editor.post(f"/key-work/{child.pk}/", {"delete": "1"})
    assert not KeyWorkArea.objects.filter(pk=child.pk).exists()
    # A leader may look but not add.
    client_for(county.dept_leader).post("/key-work/?year=2026", {"name": "x", "sort_order": 1})
    assert not KeyWorkArea.objects.filter(name="x").exists()


def test_an_area_cannot_be_moved_under_itself(county: County) -> None:
    seed_key_work(county.dept, 2026)
    root = KeyWorkArea.objects.get(name="五大目标")
    child = root.children.first()
    assert child is not None
    page = text(client_for(county.editor).get(f"/key-work/{root.pk}/"))
    parent_select = page[
        page.index('name="parent"') : page.index("</select>", page.index('name="parent"'))
    ]
    assert child.name not in parent_select and "六项工作" in parent_select
    response = client_for(county.editor).post(
        f"/key-work/{root.pk}/", {"name": "五大目标", "parent": child.pk, "sort_order": 1}
    )
    assert response.status_code == 200
    root.refresh_from_db()
    assert root.parent is None


def test_tagging_from_the_item_page(county: County) -> None:
    seed_key_work(county.dept, timezone.localdate().year)
    area = KeyWorkArea.objects.get(name="基层组织建设要有新提高")
    item = make_item(officer=county.officer_a)
    officer = client_for(county.officer_a)
    page = text(officer.get(f"/items/{item.pk}/edit/"))
    assert 'id="key-work-card"' in page and area.name in page
    response = officer.post(
        f"/items/{item.pk}/key-work/", {"areas": [area.pk]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "已保存" in text(response)
    assert list(item.key_work_areas.all()) == [area]
    # The editor corrects after submission; the officer may no longer once it is decided.
    transition(item=item, actor=county.officer_a, action="submit")
    other = KeyWorkArea.objects.get(name="干部教育培训要有新进展")
    client_for(county.editor).post(f"/items/{item.pk}/key-work/", {"areas": [other.pk]})
    assert list(item.key_work_areas.all()) == [other]
    transition(item=item, actor=county.editor, action="adopt")
    refused = officer.post(
        f"/items/{item.pk}/key-work/", {"areas": [area.pk]}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 400 and "无权" in text(refused)
    assert list(item.key_work_areas.all()) == [other]
    # Read-only for the officer now: the names, no form.
    detail = text(officer.get(f"/items/{item.pk}/"))
    assert other.name in detail and "保存要点" not in detail
    # Other units' people cannot reach the item at all.
    assert client_for(county.officer_b).post(f"/items/{item.pk}/key-work/").status_code == 404


def test_areas_of_another_department_are_refused(county: County) -> None:
    seed_key_work(county.other_dept, timezone.localdate().year)
    foreign = KeyWorkArea.objects.filter(department=county.other_dept).first()
    assert foreign is not None
    item = make_item(officer=county.officer_a)
    with pytest.raises(Exception, match="本部门启用"):
        item_key_work_set(item=item, actor=county.officer_a, areas=[foreign])
    assert not KeyWorkTag.objects.exists()


# Query counts.


def fill_board(county: County, topic: Topic, units: int) -> None:
    for n in range(units):
        unit = make_unit(name=f"加镇{n}", parent=county.dept)
        TopicTarget.objects.create(topic=topic, unit=unit, read_at=timezone.now())
        officer = make_user(role=Role.OFFICER, unit=unit)
        if n % 2:
            topic_decline(topic=topic, actor=officer, reason="原因")
            continue
        item = make_item(officer=officer, title=f"回复{n}", topic_id=topic.pk)
        transition(item=item, actor=officer, action="submit")


@pytest.mark.parametrize("who", ["editor", "officer_a"])
def test_topic_pages_query_count_does_not_grow(
    county: County, issue: IssueTopic, django_assert_max_num_queries: Any, who: str
) -> None:
    topic = issue()
    client = client_for(getattr(county, who))
    counts = []
    for more in (1, 12):
        fill_board(county, topic, more)
        for url in ("/topics/", f"/topics/{topic.pk}/"):
            with django_assert_max_num_queries(15) as captured:
                assert client.get(url).status_code == 200
            counts.append((url, len(captured)))
    assert counts[:2] == counts[2:]


def test_coverage_query_count_does_not_grow(
    county: County, django_assert_max_num_queries: Any
) -> None:
    year = timezone.localdate().year
    seed_key_work(county.dept, year)
    areas = list(KeyWorkArea.objects.filter(parent__isnull=False))
    client = client_for(county.editor)
    counts = []
    for more in (2, 20):
        for n in range(more):
            item = make_item(officer=county.officer_a, title=f"信息{n}")
            item = transition(item=item, actor=county.officer_a, action="submit")
            item_key_work_set(item=item, actor=county.editor, areas=areas[n % 3 : n % 3 + 2])
        with django_assert_max_num_queries(10) as captured:
            assert client.get("/key-work/coverage/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_timeliness_query_count_does_not_grow(
    county: County, django_assert_max_num_queries: Any
) -> None:
    client = client_for(county.dept_leader)
    counts = []
    for more in (2, 20):
        for n in range(more):
            unit = make_unit(name=f"时效镇{more}-{n}", parent=county.dept)
            officer = make_user(role=Role.OFFICER, unit=unit)
            item = make_item(officer=officer, title=f"信息{n}")
            transition(item=item, actor=officer, action="submit")
            transition(item=item, actor=county.editor, action="start_review")
        with django_assert_max_num_queries(10) as captured:
            assert client.get("/timeliness/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_returned_answer_shows_its_topic_fixed_and_keeps_it(
    county: County, issue: IssueTopic
) -> None:
    topic = issue(title="回头看约稿")
    item = make_item(officer=county.officer_a, topic_id=topic.pk)
    transition(item=item, actor=county.officer_a, action="submit")
    item = transition(item=item, actor=county.editor, action="return", comment="请补充")
    officer = client_for(county.officer_a)
    page = text(officer.get(f"/items/{item.pk}/edit/"))
    select = page[
        page.index('name="topic"') - 40 : page.index("</select>", page.index('name="topic"'))
    ]
    assert "disabled" in select and "回头看约稿" in select
    response = officer.post(
        f"/items/{item.pk}/edit/",
        {
            "title": item.title,
            "body": item.body + "\n补充数据。",
            "category": item.category_id,
            "urgency": item.urgency,
            "version": item.version,
            "then": "resubmit",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.topic_id, item.state) == (topic.pk, State.RESUBMITTED)
    detail = text(client_for(county.editor).get(f"/items/{item.pk}/"))
    assert f'href="/topics/{topic.pk}/"' in detail
