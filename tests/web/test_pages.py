"""The pages, through the Django test client: login, every role's pages, writing, reviewing,
autosave, the inbox's filters and order, pagination, and query counts that do not grow."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.conftest import County
from tests.factories import PASSWORD, category, make_item, make_user, put_in_state
from xinbao.items.models import Item, ItemEvent, Revision, State, Urgency
from xinbao.items.services import transition
from xinbao.orgs.models import Role, User

BODY = "今年以来,某镇坚持把党员教育作为基层组织建设的基础工程。\n一是创新方式。"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: Any) -> str:
    return str(response.content.decode())


def heading(page: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page, re.S)
    return match.group(1).strip() if match else ""


def field_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else ""


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    return match.group(1) if match else ""


def item_form(item: Item | None = None, **changes: Any) -> dict[str, Any]:
    """What the item form posts, from ``item`` (or a new item) with ``changes``."""
    data: dict[str, Any] = {
        "title": item.title if item else "甲镇开展党员积分管理",
        "body": item.body if item else BODY,
        "category": item.category_id if item else category().pk,
        "urgency": item.urgency if item else Urgency.NORMAL,
        "event_date": "",
        "keywords": item.keywords if item else "",
    }
    if item is not None:
        data["version"] = item.version
        data["authors"] = [a.pk for a in item.authors.all()]
    data.update(changes)
    return data


def submitted(officer: User, title: str = "已报送的信息", **fields: Any) -> Item:
    return put_in_state(make_item(officer=officer, title=title), State.SUBMITTED, **fields)


# Login.


def test_login_page_is_chinese() -> None:
    response = Client().get("/login/")
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="zh-hans">' in page
    for text in ("登录", "组工信息报送系统", "用户名", "密码"):
        assert text in page
    assert response.headers["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_wrong_password_does_not_say_whether_the_user_exists(county: County) -> None:
    inactive = make_user(role=Role.OFFICER, unit=county.town_a, username="gone", is_active=False)
    pages = {}
    for username, password in [
        (county.officer_a.username, "错误的密码-123"),
        ("nobody_here", "错误的密码-123"),
        (inactive.username, PASSWORD),
    ]:
        response = Client().post("/login/", {"username": username, "password": password})
        assert response.status_code == 200
        page = text_of(response)
        assert "用户名或密码不正确。" in page
        # Apart from the echoed username and the CSRF token, the answers are identical.
        page = page.replace(f'value="{username}"', 'value=""')
        pages[username] = re.sub(r"[A-Za-z0-9]{64}", "", page)
    assert len(set(pages.values())) == 1


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("officer_a", "/items/"),
        ("leader_b", "/signoff/"),
        ("editor", "/inbox/"),
        ("dept_leader", "/inbox/"),
        ("sysadmin", "/admin/"),
    ],
)
def test_login_lands_on_the_roles_home(county: County, who: str, home: str) -> None:
    client = Client()
    user = getattr(county, who)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == home


ANONYMOUS_GET = [
    "/",
    "/account/",
    "/items/",
    "/items/new/",
    "/items/new/from-docx/",
    "/items/{pk}/",
    "/items/{pk}/edit/",
    "/items/{pk}/attachments/1/",
    "/signoff/",
    "/inbox/",
]
ANONYMOUS_POST = [
    "/items/new/",
    "/items/{pk}/edit/",
    "/items/{pk}/move/",
    "/items/{pk}/attachments/",
    "/account/language/",
]


def test_anonymous_access_redirects_to_login(county: County) -> None:
    item = make_item(officer=county.officer_a)
    client = Client()
    answers = {}
    for method, urls in (("get", ANONYMOUS_GET), ("post", ANONYMOUS_POST)):
        for template in urls:
            url = template.format(pk=item.pk)
            response = getattr(client, method)(url)
            answers[f"{method} {url}"] = (response.status_code, response.headers.get("Location"))
    expected = {key: (302, f"/login/?next={key.split()[1]}") for key in answers}
    assert answers == expected
    assert Item.objects.get().title == item.title


# Every page of every role.


def test_every_page_of_each_role_renders(county: County) -> None:
    draft = make_item(officer=county.officer_a, title="甲镇草稿")
    pending = put_in_state(
        make_item(officer=county.officer_b, title="乙镇待签发"), State.PENDING_SIGNOFF
    )
    sent = submitted(county.officer_a, title="甲镇已报送")
    returned = put_in_state(make_item(officer=county.officer_a, title="甲镇退回"), State.RETURNED)
    # (person, url, expected <h1>)
    pages: list[tuple[User, str, str]] = [
        (county.officer_a, "/items/", "我的信息"),
        (county.officer_a, "/items/new/", "写信息"),
        (county.officer_a, "/items/new/from-docx/", "从 Word 文件开始写信息"),
        (county.officer_a, f"/items/{draft.pk}/", "信息详情"),
        (county.officer_a, f"/items/{draft.pk}/edit/", "修改信息"),
        (county.officer_a, f"/items/{returned.pk}/edit/", "修改信息"),
        (county.officer_a, f"/items/{sent.pk}/", "信息详情"),
        (county.officer_a, "/account/", "我的账号"),
        (county.officer_a2, "/items/", "我的信息"),
        (county.leader_b, "/signoff/", "待签发信息"),
        (county.leader_b, "/items/", "本单位信息"),
        (county.leader_b, f"/items/{pending.pk}/", "信息详情"),
        (county.leader_a, f"/items/{sent.pk}/", "信息详情"),
        (county.editor, "/inbox/", "收件箱"),
        (county.editor, f"/items/{sent.pk}/", "信息详情"),
        (county.editor, f"/items/{sent.pk}/edit/", "审核信息"),
        (county.editor, f"/items/{returned.pk}/", "信息详情"),
        (county.dept_leader, "/inbox/", "信息总览"),
        (county.dept_leader, f"/items/{sent.pk}/", "信息详情"),
        (county.dept_leader, "/account/", "我的账号"),
        (county.sysadmin, "/account/", "我的账号"),
    ]
    answers = []
    for person, url, _expected in pages:
        response = client_for(person).get(url)
        answers.append((person.username, url, response.status_code, heading(text_of(response))))
    assert answers == [(p.username, url, 200, h) for p, url, h in pages]


def test_pages_show_the_moves_of_the_person(county: County) -> None:
    pending = put_in_state(make_item(officer=county.officer_b), State.PENDING_SIGNOFF)
    page = text_of(client_for(county.leader_b).get(f"/items/{pending.pk}/"))
    assert 'data-action="approve"' in page and 'data-action="reject_signoff"' in page
    page = text_of(client_for(county.officer_b).get(f"/items/{pending.pk}/"))
    assert 'data-action="withdraw"' in page and 'data-action="approve"' not in page
    sent = submitted(county.officer_a)
    page = text_of(client_for(county.dept_leader).get(f"/items/{sent.pk}/"))
    assert "data-action=" not in page  # the department leader reads, never acts
    page = text_of(client_for(county.editor).get(f"/items/{sent.pk}/edit/"))
    for action in ("return", "adopt", "decline"):
        assert f'data-action="{action}"' in page


def test_user_text_is_escaped_everywhere(county: County) -> None:
    item = submitted(county.officer_a, title="<script>alert('标题')</script>")
    for person, url in [
        (county.officer_a, "/items/"),
        (county.officer_a, f"/items/{item.pk}/"),
        (county.editor, "/inbox/"),
        (county.editor, f"/items/{item.pk}/edit/"),
    ]:
        page = text_of(client_for(person).get(url))
        assert "<script>alert(" not in page, url
        assert "&lt;script&gt;alert(" in page, url


# Writing.


def test_officer_creates_a_draft(county: County) -> None:
    response = client_for(county.officer_a).post("/items/new/", item_form(), follow=True)
    item = Item.objects.get()
    assert response.redirect_chain == [(f"/items/{item.pk}/edit/", 302)]
    assert "草稿已保存。" in text_of(response)
    assert (item.title, item.state, item.created_by) == (
        "甲镇开展党员积分管理",
        State.DRAFT,
        county.officer_a,
    )
    assert list(item.authors.all()) == [county.officer_a]


@pytest.mark.parametrize(
    ("who", "state", "label"),
    [("officer_a", State.SUBMITTED, "已报送"), ("officer_b", State.PENDING_SIGNOFF, "待签发")],
)
def test_save_and_submit_a_new_item(county: County, who: str, state: State, label: str) -> None:
    client = client_for(getattr(county, who))
    response = client.post("/items/new/", item_form(then="submit"), follow=True)
    assert response.redirect_chain == [("/items/", 302)]
    assert f"已报送:信息现为“{label}”" in text_of(response)
    item = Item.objects.get()
    assert item.state == state
    assert item.revisions.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "这个字段是必填项"),
        ({"title": "   "}, "这个字段是必填项"),
        ({"event_date": "2999-01-01"}, "事件日期不能晚于今天"),
    ],
)
def test_failed_new_item_keeps_the_text_and_saves_nothing(
    county: County, changes: dict[str, str], message: str
) -> None:
    typed = "这是我刚刚写的一大段正文,绝不能丢。\n第二段<也在>。"
    response = client_for(county.officer_a).post(
        "/items/new/", item_form(body=typed, then="submit", **changes)
    )
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert textarea(page, "body") == "这是我刚刚写的一大段正文,绝不能丢。\n第二段&lt;也在&gt;。"
    assert not Item.objects.exists()


def test_officer_saves_an_edit(county: County) -> None:
    item = make_item(officer=county.officer_a)
    response = client_for(county.officer_a).post(
        f"/items/{item.pk}/edit/", item_form(item, title="改过的标题"), follow=True
    )
    assert response.redirect_chain == [(f"/items/{item.pk}/edit/", 302)]
    page = text_of(response)
    assert "已保存。" in page
    assert field_value(page, "version") == "2"
    item.refresh_from_db()
    assert (item.title, item.version) == ("改过的标题", 2)


def test_stale_save_keeps_the_text_and_stays_refused(county: County) -> None:
    item = make_item(officer=county.officer_a, title="原标题")
    mine = item_form(item, title="我写的标题", body="我写的正文。")
    theirs = client_for(county.officer_a2)
    theirs.post(f"/items/{item.pk}/edit/", item_form(item, title="同事写的标题"))
    item.refresh_from_db()
    assert item.version == 2

    client = client_for(county.officer_a)
    response = client.post(f"/items/{item.pk}/edit/", mine)
    assert response.status_code == 200
    page = text_of(response)
    assert "已被他人修改" in page
    assert field_value(page, "title") == "我写的标题"
    assert textarea(page, "body") == "我写的正文。"
    # The page still carries the version the text was written against, so saving it again
    # is refused again instead of silently overwriting the colleague's save.
    assert field_value(page, "version") == "1"
    response = client.post(
        f"/items/{item.pk}/edit/", {**mine, "version": field_value(page, "version")}
    )
    assert "已被他人修改" in text_of(response)
    item.refresh_from_db()
    assert (item.title, item.version) == ("同事写的标题", 2)


def test_save_and_resubmit_a_returned_item(county: County) -> None:
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="return", comment="请补充数据")
    item.refresh_from_db()
    page = text_of(client_for(county.officer_a).get(f"/items/{item.pk}/edit/"))
    assert "请补充数据" in page  # the editor's comment is shown where the officer works
    response = client_for(county.officer_a).post(
        f"/items/{item.pk}/edit/",
        item_form(item, body=BODY + "\n补充:参与率98%。", then="resubmit"),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == State.RESUBMITTED
    assert item.body.endswith("补充:参与率98%。")


# Autosave (htmx).


def test_autosave_returns_the_status_fragment_with_the_new_version(county: County) -> None:
    item = make_item(officer=county.officer_a)
    client = client_for(county.officer_a)
    response = client.post(
        f"/items/{item.pk}/edit/", item_form(item, title="自动保存的标题"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    fragment = text_of(response)
    assert "<html" not in fragment
    assert "已自动保存" in fragment
    assert 'id="id_version" value="2" hx-swap-oob="true"' in fragment
    item.refresh_from_db()
    assert (item.title, item.version) == ("自动保存的标题", 2)
    # Unchanged text saves nothing and keeps the version.
    response = client.post(f"/items/{item.pk}/edit/", item_form(item), HTTP_HX_REQUEST="true")
    assert 'value="2"' in text_of(response)
    item.refresh_from_db()
    assert item.version == 2


def test_stale_autosave_reports_and_keeps_the_old_version(county: County) -> None:
    item = make_item(officer=county.officer_a)
    mine = item_form(item, title="我这边的")
    client_for(county.officer_a2).post(f"/items/{item.pk}/edit/", item_form(item, title="同事的"))
    response = client_for(county.officer_a).post(
        f"/items/{item.pk}/edit/", mine, HTTP_HX_REQUEST="true"
    )
    fragment = text_of(response)
    assert "自动保存失败" in fragment and "已被他人修改" in fragment
    # Not the newest version: the next autosave must be refused too.
    assert 'id="id_version" value="1"' in fragment
    item.refresh_from_db()
    assert item.title == "同事的"


def test_invalid_autosave_names_the_field(county: County) -> None:
    item = make_item(officer=county.officer_a)
    response = client_for(county.officer_a).post(
        f"/items/{item.pk}/edit/", item_form(item, title=""), HTTP_HX_REQUEST="true"
    )
    assert "自动保存失败" in text_of(response) and "标题" in text_of(response)
    item.refresh_from_db()
    assert item.version == 1


# Reviewing.


def test_return_without_comment_is_refused_and_keeps_the_text(county: County) -> None:
    item = submitted(county.officer_a, title="原标题")
    response = client_for(county.editor).post(
        f"/items/{item.pk}/edit/",
        item_form(item, title="编辑改了一半的标题", comment="  ", then="return"),
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "“退回修改”须填写意见。" in page
    assert field_value(page, "title") == "编辑改了一半的标题"
    item.refresh_from_db()
    assert (item.state, item.title, item.version) == (State.SUBMITTED, "原标题", 1)
    assert not item.events.exists()
    assert not item.revisions.filter(kind=Revision.Kind.EDITOR).exists()
    assert field_value(page, "version") == "1"


def test_return_with_comment(county: County) -> None:
    item = submitted(county.officer_a)
    response = client_for(county.editor).post(
        f"/items/{item.pk}/edit/", item_form(item, comment="请补充具体数据", then="return")
    )
    assert response.headers["Location"] == "/inbox/"
    item.refresh_from_db()
    assert item.state == State.RETURNED
    assert item.events.get().comment == "请补充具体数据"


def test_edit_and_adopt(county: County) -> None:
    item = submitted(county.officer_a, title="原标题")
    response = client_for(county.editor).post(
        f"/items/{item.pk}/edit/",
        item_form(item, title="编辑定稿的标题", then="adopt"),
        follow=True,
    )
    assert response.redirect_chain == [("/inbox/", 302)]
    assert "操作成功:信息现为“已采用”" in text_of(response)
    item.refresh_from_db()
    assert (item.state, item.title) == (State.ADOPTED, "编辑定稿的标题")
    assert list(item.events.values_list("action", flat=True)) == ["start_review", "adopt"]
    assert item.revisions.get(kind=Revision.Kind.EDITOR).title == "编辑定稿的标题"


def test_move_from_the_detail_page(county: County) -> None:
    pending = put_in_state(make_item(officer=county.officer_b), State.PENDING_SIGNOFF)
    client = client_for(county.leader_b)
    response = client.post(f"/items/{pending.pk}/move/", {"action": "reject_signoff"})
    assert response.status_code == 400
    assert "须填写意见" in text_of(response)
    response = client.post(f"/items/{pending.pk}/move/", {"action": "approve"})
    assert response.headers["Location"] == "/signoff/"
    pending.refresh_from_db()
    assert pending.state == State.SUBMITTED


# The inbox.


def inbox_titles(client: Client, query: str = "") -> list[str]:
    page = text_of(client.get(f"/inbox/{query}"))
    table = page.split('id="inbox-list"', 1)[1]
    return re.findall(r'<a href="/items/\d+/(?:edit/)?">(.*?)</a>', table)


@pytest.fixture
def inbox_items(county: County) -> dict[str, Item]:
    now = timezone.now()
    day = datetime.timedelta(days=1)
    other_town = make_user(role=Role.OFFICER, unit=county.town_b, username="off_b2")
    specs: dict[str, dict[str, Any]] = {
        "甲镇一般旧": {"officer": county.officer_a, "at": now - 10 * day},
        "甲镇一般新": {"officer": county.officer_a, "at": now - 1 * day},
        "乙镇紧急新": {"officer": other_town, "at": now - 2 * day, "urgency": Urgency.URGENT},
        "乙镇紧急旧": {"officer": county.officer_b, "at": now - 5 * day, "urgency": Urgency.URGENT},
        "甲镇特急": {"officer": county.officer_a, "at": now, "urgency": Urgency.VERY_URGENT},
        "甲镇经验审核中": {
            "officer": county.officer_a,
            "at": now - 3 * day,
            "state": State.IN_REVIEW,
            "category": category("经验做法"),
        },
        "甲镇已采用": {"officer": county.officer_a, "at": now - 4 * day, "state": State.ADOPTED},
    }
    items = {}
    for title, spec in specs.items():
        item = make_item(officer=spec["officer"], title=title, category=spec.get("category"))
        items[title] = put_in_state(
            item,
            spec.get("state", State.SUBMITTED),
            submitted_at=spec["at"],
            urgency=spec.get("urgency", Urgency.NORMAL),
        )
    make_item(officer=county.officer_a, title="甲镇草稿")
    put_in_state(make_item(officer=county.officer_b, title="乙镇待签发"), State.PENDING_SIGNOFF)
    return items


def test_inbox_order_is_most_urgent_then_first_come(county: County, inbox_items: Any) -> None:
    assert inbox_titles(client_for(county.editor)) == [
        "甲镇特急",
        "乙镇紧急旧",
        "乙镇紧急新",
        "甲镇一般旧",
        "甲镇经验审核中",
        "甲镇一般新",
    ]


def test_inbox_filters(county: County, inbox_items: Any) -> None:
    editor = client_for(county.editor)
    today = timezone.localdate()
    cases: dict[str, list[str]] = {
        f"?unit={county.town_b.pk}": ["乙镇紧急旧", "乙镇紧急新"],
        f"?category={category('经验做法').pk}": ["甲镇经验审核中"],
        "?state=adopted": ["甲镇已采用"],
        "?state=in_review": ["甲镇经验审核中"],
        "?urgent_only=on": ["甲镇特急", "乙镇紧急旧", "乙镇紧急新"],
        f"?date_from={today - datetime.timedelta(days=2)}": [
            "甲镇特急",
            "乙镇紧急新",
            "甲镇一般新",
        ],
        f"?date_to={today - datetime.timedelta(days=5)}": ["乙镇紧急旧", "甲镇一般旧"],
        (
            f"?date_from={today - datetime.timedelta(days=5)}"
            f"&date_to={today - datetime.timedelta(days=2)}&urgent_only=on"
        ): ["乙镇紧急旧", "乙镇紧急新"],
        f"?unit={county.town_a.pk}&urgent_only=on": ["甲镇特急"],
        # Drafts and items waiting for 签发 never reach the inbox, whatever is asked.
        "?state=draft": inbox_titles(editor),
        "?state=pending_signoff": inbox_titles(editor),
    }
    answers = {query: inbox_titles(editor, query) for query in cases}
    assert answers == cases


def test_dept_leader_sees_the_same_inbox_read_only(county: County, inbox_items: Any) -> None:
    leader = client_for(county.dept_leader)
    assert inbox_titles(leader) == inbox_titles(client_for(county.editor))
    page = text_of(leader.get("/inbox/"))
    assert "/edit/" not in page


def test_pagination_keeps_the_filter(county: County) -> None:
    for n in range(45):
        submitted(county.officer_a, title=f"第{n:02d}条")
    editor = client_for(county.editor)
    page = text_of(editor.get("/inbox/?urgent_only=&page=3"))
    assert "第 3 / 3 页,共 45 条" in page
    assert len(inbox_titles(editor, "?page=3")) == 5
    assert 'href="?urgent_only=&page=2"' in page
    assert len(inbox_titles(editor, "?page=2")) == 20
    assert inbox_titles(editor, "?page=99") == inbox_titles(editor, "?page=3")
    assert inbox_titles(editor, "?page=abc") == inbox_titles(editor, "?page=1")
    officer_page = text_of(client_for(county.officer_a).get("/items/?page=3"))
    assert "第 3 / 3 页,共 45 条" in officer_page


# Query counts: a page costs the same whether there are 5 or 40 rows.

# Each page's queries, the same on SQLite and PostgreSQL: the session, the user with their unit
# (``security.backends.UserBackend``), no OTP device (the session's record, R08), then the page's
# own. The review page also renders the whole item form. The inbox reads a page of its rows'
# ids, then those items (``items.queries.inbox_items``).
PAGE_QUERIES = {
    "officer list": 6,
    "unit leader list": 6,
    "inbox": 10,
    "signoff queue": 5,
    "item detail (officer)": 13,
    "item detail (editor)": 13,
    "review page": 19,
}


def fill_unit_lists(county: County, n: int) -> None:
    for i in range(n):
        item = make_item(officer=county.officer_a, title=f"甲镇{i}")
        transition(item=item, actor=county.officer_a, action="submit")
        if i % 2:
            transition(item=item, actor=county.editor, action="return", comment=f"意见{i}")
        pending = make_item(officer=county.officer_b, title=f"乙镇{i}")
        transition(item=pending, actor=county.officer_b, action="submit")


def grow_history(county: County, item: Item, rounds: int) -> None:
    for i in range(rounds):
        transition(item=item, actor=county.editor, action="return", comment=f"第{i}次退回")
        item.refresh_from_db()
        transition(item=item, actor=county.officer_a, action="resubmit")


PAGES_FOR_COUNTS: dict[str, tuple[str, Callable[[County], str]]] = {
    "officer list": ("officer_a", lambda c: "/items/"),
    "unit leader list": ("leader_a", lambda c: "/items/"),
    "inbox": ("editor", lambda c: "/inbox/"),
    "signoff queue": ("leader_b", lambda c: "/signoff/"),
    "item detail (officer)": ("officer_a", lambda c: f"/items/{first_item(c).pk}/"),
    "item detail (editor)": ("editor", lambda c: f"/items/{first_item(c).pk}/"),
    "review page": ("editor", lambda c: f"/items/{first_item(c).pk}/edit/"),
}


def first_item(county: County) -> Item:
    return Item.objects.filter(unit=county.town_a).order_by("id").first()  # type: ignore[return-value]


@pytest.mark.parametrize("page", list(PAGES_FOR_COUNTS))
def test_query_count_does_not_grow_with_rows(
    county: County, django_assert_num_queries: Any, page: str, monkeypatch: Any
) -> None:
    # The session's last-seen stamp is rewritten once a minute (4 more queries); on a busy
    # machine filling the lists between the two requests can take that long.
    monkeypatch.setattr("xinbao.security.sessions.TOUCH_EVERY", 24 * 60 * 60)
    who, url_of = PAGES_FOR_COUNTS[page]
    client = client_for(getattr(county, who))
    fill_unit_lists(county, 5)
    item = put_in_state(first_item(county), State.SUBMITTED)
    counts = []
    for more_rows, more_rounds in ((0, 1), (35, 8)):
        fill_unit_lists(county, more_rows)
        grow_history(county, item, more_rounds)
        url = url_of(county)
        with django_assert_num_queries(PAGE_QUERIES[page]) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], f"{page}: {counts[0]} queries, then {counts[1]}"
    assert ItemEvent.objects.filter(item=item).count() > 16


# Language.


def test_language_switch_persists_on_the_user(county: County) -> None:
    client = client_for(county.officer_a)
    response = client.post("/account/language/", {"language": "zh-hant", "next": "/account/"})
    assert response.headers["Location"] == "/account/"
    county.officer_a.refresh_from_db()
    assert county.officer_a.language == "zh-hant"
    response = client.get("/items/")
    assert response.headers["Content-Language"] == "zh-hant"
    assert '<html lang="zh-hant">' in text_of(response)
    # A new session of the same user keeps the choice.
    assert client_for(county.officer_a).get("/account/").headers["Content-Language"] == "zh-hant"
    # Other users are not affected.
    assert client_for(county.officer_a2).get("/items/").headers["Content-Language"] == "zh-hans"


def test_unknown_language_is_refused(county: County) -> None:
    client = client_for(county.officer_a)
    response = client.post("/account/language/", {"language": "en"}, follow=True)
    assert "不支持该语言。" in text_of(response)
    county.officer_a.refresh_from_db()
    assert county.officer_a.language == "zh-hans"


def test_language_switch_never_redirects_off_site(county: County) -> None:
    response = client_for(county.officer_a).post(
        "/account/language/", {"language": "zh-hans", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_users_language_does_not_leak_past_the_request(county: County) -> None:
    county.officer_a.language = "zh-hant"
    county.officer_a.save()
    before = translation.get_language()
    response = client_for(county.officer_a).get("/items/")
    assert response.headers["Content-Language"] == "zh-hant"
    assert translation.get_language() == before
