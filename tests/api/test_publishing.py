"""Publications, issues and the Word file, for the publishing department's editors only."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from urllib.parse import unquote

import pytest

from tests.api.conftest import ApiClient
from tests.conftest import County
from xinbao.items.models import Item
from xinbao.orgs.models import User
from xinbao.publishing.models import Publication, PublicationIssue
from xinbao.publishing.services import issue_add_item, issue_create, issue_publish

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def published(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> PublicationIssue:
    issue = issue_create(publication=periodical, actor=county.editor)
    issue_add_item(issue=issue, item=adopted(), actor=county.editor)
    return issue_publish(issue=issue, actor=county.editor)


def test_editor_lists_publications_and_issues(
    county: County, api: Api, published: PublicationIssue
) -> None:
    editor = api(county.dept_leader)
    publications = editor.get("/publications").json()
    assert [(p["name"], p["kind"]) for p in publications] == [("组工信息", "periodical")]
    page = editor.get(f"/publications/{published.publication_id}/issues").json()
    assert [i["id"] for i in page["items"]] == [published.pk] and page["next_cursor"] is None
    assert page["items"][0]["state"] == "published" and page["items"][0]["number"] == 1


def test_issue_pages_are_walked_with_a_cursor(
    county: County, api: Api, periodical: Publication
) -> None:
    made = [issue_create(publication=periodical, actor=county.editor).pk for _ in range(5)]
    editor, seen, cursor = api(county.editor), [], None
    while True:
        params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = editor.get(f"/publications/{periodical.pk}/issues", params).json()
        seen += [i["id"] for i in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
    assert seen == sorted(made, reverse=True)


def test_issue_with_its_entries_and_its_word_file(
    county: County, api: Api, published: PublicationIssue
) -> None:
    editor = api(county.editor)
    body = editor.get(f"/issues/{published.pk}").json()
    assert body["number_label"].endswith("第1期") and body["publication_name"] == "组工信息"
    assert [e["headline"] for e in body["entries"]] == ["甲镇推行党员积分管理"]
    assert body["entries"][0]["unit"]["name"] == "甲镇"
    word = editor.get(f"/issues/{published.pk}/docx")
    assert word.status_code == 200 and word["Content-Type"] == DOCX
    assert "组工信息" in unquote(word["Content-Disposition"])
    with zipfile.ZipFile(io.BytesIO(word.content)) as archive:
        assert "甲镇推行党员积分管理" in archive.read("word/document.xml").decode()


def test_publishing_is_refused_outside_the_department(
    county: County, api: Api, published: PublicationIssue
) -> None:
    for role in ("officer_a", "leader_a", "sysadmin"):
        client = api(getattr(county, role))
        listed = client.get("/publications")
        assert listed.status_code == 403
        assert listed.json()["detail"] == "只有组织部门的编辑和部领导可以查看刊物。"
        assert client.get(f"/issues/{published.pk}").status_code == 403
        assert client.get(f"/issues/{published.pk}/docx").status_code == 403
    other = api(county.other_editor)
    assert other.get("/publications").json() == []
    assert other.get(f"/publications/{published.publication_id}/issues").status_code == 404
    assert other.get(f"/issues/{published.pk}").status_code == 404
    assert other.get(f"/issues/{published.pk}/docx").status_code == 404
    assert api(county.editor).get("/issues/abc").status_code == 422
