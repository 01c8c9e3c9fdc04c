"""Two app servers indexing two similar items at the same moment: each rewrites both rows of
their pair, which used to deadlock on PostgreSQL's unique index (found by bench/bench_load.py).
Separate threads hold separate connections, like separate app servers."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from tests.conftest import County
from tests.factories import make_item
from xinbao.items.models import Item
from xinbao.search.duplicates import index_item
from xinbao.search.models import SimilarPair

BODY = (
    "今年以来,该镇把党员积分管理作为加强党员教育管理的重要抓手,制定积分细则,按月公示积分,"
    "年底评星定级。一是明确积分标准,二是强化结果运用,三是加强督促检查,党员参与率明显提高。"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_similar_items_indexed_at_once_do_not_deadlock(county: County) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race is PostgreSQL's")
    items = [
        make_item(officer=county.officer_a, title=f"积分管理见实效{n}", body=BODY) for n in range(6)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(len(items))

    def worker(item: Item) -> None:
        try:
            start.wait()
            for _ in range(3):
                with transaction.atomic():
                    index_item(item)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # every pair of the six, both ways round, once
    assert SimilarPair.objects.filter(flagged=True).count() == 6 * 5
