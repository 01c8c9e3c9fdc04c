"""Publications, their issues with the items they carried, and an issue's Word file.

For editors and department leaders of the department that publishes them (``publishing.queries``
scopes every read to the caller's department); anyone else is refused.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from xinbao.api.auth import ApiRequest
from xinbao.api.pagination import page_by_id
from xinbao.api.routes import READ_ERRORS, ObjectId
from xinbao.api.schemas import IssueOut, IssuePage, IssueSummary, PageParams, PublicationOut
from xinbao.items.errors import NotAllowed
from xinbao.orgs.models import Role, User
from xinbao.publishing import queries
from xinbao.publishing.docx import issue_docx, issue_filename
from xinbao.web.downloads import DOCX_MIME, file_response

router = Router(tags=["刊物"])

EDITORIAL = (Role.EDITOR, Role.DEPT_LEADER)


def check_editorial(user: User) -> None:
    if not user.has_role(*EDITORIAL):
        raise NotAllowed(_("只有组织部门的编辑和部领导可以查看刊物。"))


@router.get(
    "/publications",
    response={200: list[PublicationOut], **READ_ERRORS},
    summary="本部门的刊物",
)
def publication_list(request: ApiRequest) -> list[PublicationOut]:
    check_editorial(request.user)
    publications = queries.publications_for(request.user).select_related("department")
    return [PublicationOut.build(p) for p in publications]


@router.get(
    "/publications/{publication_id}/issues",
    response={200: IssuePage, **READ_ERRORS},
    summary="一种刊物的各期(从新到旧)",
)
def publication_issues(
    request: ApiRequest, publication_id: ObjectId, page: Query[PageParams]
) -> IssuePage:
    check_editorial(request.user)
    publication = queries.access_publication(request.user, publication_id)
    issues = queries.issues_of(publication).select_related("publication")
    rows, next_cursor = page_by_id(issues, page.cursor, page.limit)
    return IssuePage(items=[IssueSummary.build(i) for i in rows], next_cursor=next_cursor)


@router.get("/issues/{issue_id}", response={200: IssueOut, **READ_ERRORS}, summary="一期及其内容")
def issue_get(request: ApiRequest, issue_id: ObjectId) -> IssueOut:
    check_editorial(request.user)
    issue = queries.access_issue(request.user, issue_id)
    return IssueOut.build_detail(issue, queries.issue_entries(issue))


@router.get(
    "/issues/{issue_id}/docx",
    response=READ_ERRORS,
    summary="下载一期的 Word 文件(GB/T 9704 版式)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Word 文件",
                "content": {DOCX_MIME: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def issue_word(request: ApiRequest, issue_id: ObjectId) -> HttpResponse:
    check_editorial(request.user)
    issue = queries.access_issue(request.user, issue_id)
    return file_response(issue_docx(issue), issue_filename(issue, ".docx"), DOCX_MIME)
