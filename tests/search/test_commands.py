"""``xinbao search`` and ``xinbao reindex``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import County
from tests.factories import make_item, put_in_state
from xinbao.items.models import State
from xinbao.search.models import SearchDocument


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_search_prints_the_hits_the_user_may_see_as_json(county: County) -> None:
    a = put_in_state(
        make_item(officer=county.officer_a, title="甲镇换届", body="甲镇<b>换届</b>工作。"),
        State.SUBMITTED,
    )
    make_item(officer=county.officer_a, title="甲镇换届草稿")  # a draft: not for the editor
    put_in_state(make_item(officer=county.officer_b, title="乙镇换届"), State.SUBMITTED)
    hits = json.loads(
        run("search", "換屆", "--as", "ed", "--unit", county.town_a.code, "--format", "json")
    )
    assert [hit["id"] for hit in hits] == [a.pk]
    hit = hits[0]
    assert set(hit) >= {"id", "title", "unit", "score", "snippet"}
    assert hit["title"] == "甲镇换届"
    assert hit["unit"] == "甲镇"
    assert hit["score"] > 0
    assert hit["snippet"] == "甲镇<b>换届</b>工作。"  # plain text, as written
    assert "<mark>换届</mark>" in hit["snippet_html"]
    assert "&lt;b&gt;" in hit["snippet_html"]


def test_search_respects_state_order_and_limit(county: County) -> None:
    for i in range(3):
        put_in_state(make_item(officer=county.officer_a, title=f"换届{i}"), State.SUBMITTED)
    out = run("search", "换届", "--as", "off_a", "--state", "submitted", "--limit", "2")
    assert out.splitlines()[0] == "共 3 条,列出 2 条。"
    hits = json.loads(
        run("search", "换届", "--as", "off_a", "--order", "relevance", "--format", "json")
    )
    assert len(hits) == 3


def test_search_refuses_an_unknown_user_or_unit(county: County) -> None:
    with pytest.raises(CommandError, match="找不到用户"):
        run("search", "换届", "--as", "nobody")
    with pytest.raises(CommandError, match="找不到代码为"):
        run("search", "换届", "--as", "ed", "--unit", "NOPE")


def test_reindex_rebuilds_and_reports(county: County) -> None:
    item = make_item(officer=county.officer_a, title="重建索引测试")
    SearchDocument.objects.all().delete()
    out = run("reindex", "--no-progress", "--full")
    assert "已索引 1 条信息(更新 1 条)" in out
    assert SearchDocument.objects.filter(item=item).exists()
    hits = json.loads(run("search", "重建索引", "--as", "off_a", "--format", "json"))
    assert [hit["id"] for hit in hits] == [item.pk]


def test_reindex_refuses_fewer_than_one_worker(county: County) -> None:
    make_item(officer=county.officer_a, title="重建索引测试")
    SearchDocument.objects.all().delete()
    with pytest.raises(CommandError, match="进程数至少为 1"):
        run("reindex", "--no-progress", "--workers", "0")
    assert not SearchDocument.objects.exists()  # nothing changed
