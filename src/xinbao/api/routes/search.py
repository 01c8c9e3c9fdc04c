"""Full-text search and near-duplicate lookup: the same reads as ``xinbao search`` and
``xinbao similar`` (``search.queries``), with the same permissions as every list."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from xinbao.api.auth import ApiRequest
from xinbao.api.routes import READ_ERRORS
from xinbao.api.schemas import BodyInt, Id, Input, Text
from xinbao.items.models import State
from xinbao.search.queries import Order, SearchFilters, search_items, similar_to_text
from xinbao.search.snippets import plain

router = Router(tags=["检索"])


class SearchParams(Schema):
    q: Text = Field(
        min_length=1,
        max_length=200,
        description="检索式,同搜索页,如:换届 “基层组织建设” -单位:城关镇",
    )
    state: State | SkipJsonSchema[None] = Field(None, description="状态")
    unit: Id | SkipJsonSchema[None] = Field(None, description="报送单位编号")
    order: Order = Field(Order.NEWEST, description="newest 最新在前,relevance 相关度优先")
    limit: int = Field(20, ge=1, le=100, description="最多返回条数")


class SearchHit(Schema):
    id: int
    title: str
    unit: str = Field(description="报送单位")
    score: float = Field(description="相关度(最新在前时也给出)")
    snippet: str = Field(description="含检索词的正文片段")


@router.get(
    "/search",
    response={200: list[SearchHit], **READ_ERRORS},
    summary="全文检索",
    description="与 `xinbao search` 相同:繁简均可,只返回调用者有权看到的信息。",
)
def search(request: ApiRequest, params: Query[SearchParams]) -> list[SearchHit]:
    filters = SearchFilters(state=params.state, unit_id=params.unit)
    results = search_items(request.user, params.q, filters, params.order)
    hits = results.page(1, per_page=params.limit).object_list
    return [
        SearchHit(
            id=hit.item.pk,
            title=hit.item.title,
            unit=hit.item.unit.display_name,
            score=hit.score,
            snippet=plain(hit.snippet, marks=False),
        )
        for hit in hits
    ]


class SimilarRequest(Input):
    text: Text = Field(min_length=1, max_length=20000, description="要比对的文字")
    limit: BodyInt = Field(10, ge=1, le=50, description="最多返回条数")


class SimilarOut(Schema):
    id: int
    title: str
    similarity: float = Field(description="相似度(全文字片段集合的 Jaccard 系数)")
    containment: float = Field(description="包含度(较短一方或其某一长段落被另一方包含的比例)")


@router.post(
    "/similar",
    response={200: list[SimilarOut], **READ_ERRORS},
    summary="查找高度相似的信息",
    description=(
        "与 `xinbao similar` 相同:返回与这段文字高度相似(相似度 ≥ 0.5 或包含度 ≥ 0.8)、"
        "调用者有权看到的信息,最相似的在前。"
    ),
)
def similar(request: ApiRequest, payload: SimilarRequest) -> list[SimilarOut]:
    return [
        SimilarOut(
            id=hit.item.pk,
            title=hit.item.title,
            similarity=hit.similarity,
            containment=hit.containment,
        )
        for hit in similar_to_text(request.user, payload.text, limit=payload.limit)
    ]
