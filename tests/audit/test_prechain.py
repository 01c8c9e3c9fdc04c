"""R17 on an upgraded installation: audit records written before the chain (``seq`` NULL, left
as they are by migration audit/0004) are sealed in batches by ``xinbao backfill``
(``audit.prechain``), resumably and once; ``xinbao audit verify`` reports them as pending until
then and afterwards detects any change, deletion or insertion among them."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from xinbao.audit import chain, prechain, triggers
from xinbao.audit.models import AuditPrechainSeal, AuditRecord
from xinbao.audit.services import audit_purge, audit_record

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def raw(sql: str, params: list[Any] | None = None) -> None:
    with transaction.atomic(), triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def upgraded(n: int = 7) -> list[AuditRecord]:
    """An installation with ``n`` records from before the chain, just migrated (audit/0005 noted
    the newest), and two records written by the new code since."""
    old = [
        AuditRecord.objects.create(
            at=timezone.now() - datetime.timedelta(days=400 - i),
            actor_name="town01",
            action="item.submit",
            object_type="items.item",
            object_id=str(i),
            object_repr=f"信息{i}",
            changes={"n": i},
        )
        for i in range(n)
    ]
    assert all(record.seq is None for record in old)
    AuditPrechainSeal.objects.create(pk=1, boundary_id=old[-1].pk)
    with transaction.atomic():
        audit_record(actor=None, action="test.after_upgrade1")
        audit_record(actor=None, action="test.after_upgrade2")
    return old


def test_before_the_seal_the_chain_verifies_and_the_old_records_are_pending() -> None:
    upgraded(7)
    verdict = chain.verify_chain()
    assert verdict.ok and verdict.pending == 7
    assert "7 条升级前写入的记录尚未封存" in verify()


def test_seal_in_batches_resumes_after_an_interruption_and_completes_once() -> None:
    old = upgraded(7)

    class Stop(Exception):
        pass

    def stop(n: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        prechain.seal(batch_size=3, progress=stop)
    assert prechain.pending() == 4  # the first batch was committed
    assert chain.verify_chain().pending == 4

    result = prechain.seal(batch_size=3)
    assert (result.sealed, result.total, result.completed) == (4, 7, True)
    seal = AuditPrechainSeal.objects.get()
    assert seal.sealed_at is not None and seal.last_id == old[-1].pk
    assert [point[1] for point in seal.checkpoints] == [3, 6, 7]
    (record,) = AuditRecord.objects.filter(action=prechain.SEALED_ACTION)
    assert record.seq is not None
    assert record.changes == {"boundary_id": old[-1].pk, "count": 7, "mac": seal.mac}

    assert prechain.seal(batch_size=3).sealed == 0  # nothing left: no second sealed record
    assert AuditRecord.objects.filter(action=prechain.SEALED_ACTION).count() == 1
    message = verify()
    assert "7 条链前记录与封存校验码相符" in message
    assert chain.verify_chain().pending == 0


def test_the_seal_is_the_chains_link_over_the_records_in_id_order() -> None:
    old = upgraded(4)
    prechain.seal(batch_size=10)
    mac = ""
    for record in old:
        mac = chain.compute_mac(mac, record)
    assert AuditPrechainSeal.objects.get().mac == mac


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditrecord SET object_repr = '改过' WHERE id = %s",
        "DELETE FROM audit_auditrecord WHERE id = %s",
        "UPDATE audit_auditrecord SET success = false WHERE id = %s",
    ],
)
def test_a_changed_or_deleted_sealed_record_is_found_with_its_id_range(sql: str) -> None:
    old = upgraded(7)
    prechain.seal(batch_size=3)
    raw(sql, [old[4].pk])  # in the second batch: ids old[3]..old[5]
    verdict = chain.verify_chain()
    assert not verdict.ok
    assert f"id {old[3].pk}–{old[5].pk}" in verdict.message
    with pytest.raises(CommandError, match="链前记录"):
        verify()


def test_a_record_inserted_among_the_sealed_ones_is_found() -> None:
    old = upgraded(4)
    prechain.seal(batch_size=10)
    raw(
        "INSERT INTO audit_auditrecord (id, at, actor_name, action, object_type, object_id,"
        " object_repr, success, changes, role, user_agent, request_id, mac)"
        " VALUES (%s, %s, 'x', 'item.submit', '', '', '', true, '{}', '', '', '', '')",
        [old[0].pk - 1, timezone.now()],  # before the first sealed record, inside the boundary
    )
    assert not chain.verify_chain().ok


def test_an_unchained_record_after_the_boundary_is_reported() -> None:
    upgraded(3)
    prechain.seal()
    AuditRecord.objects.create(action="written.around")  # no seq: not through audit_record
    verdict = chain.verify_chain()
    assert not verdict.ok and "没有链序号" in verdict.message


def test_old_code_records_written_before_the_restart_are_sealed_too() -> None:
    old = upgraded(3)
    late = AuditRecord.objects.create(action="item.submit")  # an app server not restarted yet
    prechain.seal()
    seal = AuditPrechainSeal.objects.get()
    assert seal.boundary_id == late.pk and seal.count == len(old) + 1
    assert chain.verify_chain().ok


def test_a_changed_seal_is_found() -> None:
    upgraded(3)
    prechain.seal()
    AuditPrechainSeal.objects.update(mac="0" * 64)
    verdict = chain.verify_chain()
    assert not verdict.ok and "audit.prechain_sealed" in verdict.message


def test_purge_keeps_the_sealed_records_and_the_chain_verifies() -> None:
    upgraded(3)
    prechain.seal()
    assert audit_purge(before=timezone.now() - datetime.timedelta(days=200)) == 0
    assert chain.verify_chain().ok


def test_nothing_to_seal_on_a_fresh_installation() -> None:
    with transaction.atomic():
        audit_record(actor=None, action="test.event")
    assert prechain.seal() == prechain.SealResult(0, 0, True)
    assert prechain.pending() == 0
    assert not AuditRecord.objects.filter(action=prechain.SEALED_ACTION).exists()


@pytest.mark.parametrize("index", [0, 5, 9])
def test_a_changed_sealed_record_is_found_whatever_page_it_is_read_in(index: int) -> None:
    """Verification reads the key range in pages of ``chunk`` rows, chained and pre-chain mixed;
    a change on any page, first or last, breaks the seal."""
    old = upgraded(10)
    prechain.seal(batch_size=4)
    assert chain.verify_chain(chunk=3).ok
    raw("UPDATE audit_auditrecord SET actor_name = 'town02' WHERE id = %s", [old[index].pk])
    verdict = chain.verify_chain(chunk=3)
    assert not verdict.ok and "链前记录" in verdict.message
