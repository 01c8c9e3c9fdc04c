"""Lock order between a workflow move and concurrent writes of the same unit (PostgreSQL).

A move locks the item, then takes the audit chain's lock (every audited write does). A creation
in the same unit takes the chain's lock, then inserts rows referencing the item or its unit,
whose foreign-key checks take ``KEY SHARE`` locks. With ``FOR UPDATE`` of the item and its unit
the two waited for each other and PostgreSQL killed one (bench/bench_load.py, "move: submit"
500s); ``lock_item`` takes ``FOR NO KEY UPDATE OF`` the item only, which those checks do not wait
for. Separate threads hold separate connections, like separate app servers."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import County
from tests.factories import make_item
from xinbao.audit.services import lock_chain
from xinbao.items.models import Item, ItemEvent, State
from xinbao.items.services import lock_item, transition


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_locked_item_does_not_block_inserts_that_reference_it(county: County) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the lock order is PostgreSQL's")
    item = make_item(officer=county.officer_a)
    item_locked, chain_taken = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def move() -> None:  # as transition(): the item first, then the chain (audit_record)
        try:
            with transaction.atomic():
                lock_item(item.pk)
                item_locked.set()
                chain_taken.wait(10)
                lock_chain()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def create() -> None:  # as item_create() + indexing: the chain first, then references
        try:
            item_locked.wait(10)
            with transaction.atomic():
                lock_chain()
                chain_taken.set()
                ItemEvent.objects.create(
                    item_id=item.pk,
                    action="comment",
                    from_state=State.DRAFT,
                    to_state=State.DRAFT,
                    actor=county.officer_b,
                )
                make_item(officer=county.officer_a, title="同一单位的另一条信息")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move), threading.Thread(target=create)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Item.objects.filter(unit=item.unit).count() == 2


@pytest.mark.django_db
def test_a_move_through_the_page_reads_its_item_once_under_the_lock(county: County) -> None:
    item = make_item(officer=county.officer_a)
    officer = Client()
    officer.force_login(county.officer_a)
    url = reverse("items:move", args=[item.pk])
    with CaptureQueriesContext(connection) as captured:
        assert officer.post(url, {"action": "submit"}).status_code == 302
    reads = [q["sql"] for q in captured if q["sql"].startswith('SELECT "items_item"."id"')]
    assert len(reads) == 1
    if connection.vendor == "postgresql":
        assert 'FOR NO KEY UPDATE OF "items_item"' in reads[0]
    item.refresh_from_db()
    assert item.state == State.SUBMITTED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_locked_transition_outside_a_transaction_is_refused(county: County) -> None:
    item = make_item(officer=county.officer_a)
    with pytest.raises(RuntimeError):
        transition(item=item, actor=county.officer_a, action="submit", locked=True)
