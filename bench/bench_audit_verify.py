"""Benchmark: ``xinbao audit verify`` on a big audit table (PostgreSQL).

Builds (or reuses) an installation upgraded with ``--prechain`` audit records from before the
chain (``seq`` NULL, as audit/0004 leaves them, sealed by ``xinbao backfill`` as on a real
upgrade) and ``--chained`` records written since (each the next link of the HMAC-SM3 chain,
computed here and inserted in batches). Then times ``verify_chain`` (wall and CPU seconds,
queries) ``--repeat`` times.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_export_bench \\
        nice .venv/bin/python bench/bench_audit_verify.py --prechain 200000 --chained 50000
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("bench_audit_verify needs DATABASE_URL=postgres://… (it measures PostgreSQL)")

import django

django.setup()

import pg_backend
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xinbao.audit import chain, prechain
from xinbao.audit.models import AuditChainHead, AuditPrechainSeal, AuditRecord

BATCH = 5000


def fill_prechain(rows: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditrecord WHERE seq IS NULL")
        existing = cursor.fetchone()[0]
        if existing >= rows:
            return
        print(f"filling {rows - existing:,} pre-chain records …", flush=True)
        cursor.execute(
            "INSERT INTO audit_auditrecord (at, actor_name, action, object_type, object_id,"
            " object_repr, success, changes, role, user_agent, request_id, mac)"
            " SELECT date_trunc('milliseconds', now() - make_interval(secs => g)), 'town' ||"
            " (g %% 300)::text, 'item.submit', 'items.item', g::text, '信息' || g::text, true,"
            " jsonb_build_object('state', jsonb_build_array('draft', 'submitted')), 'officer',"
            " 'Mozilla/5.0', md5(g::text), ''"
            " FROM generate_series(1, %s) AS g",
            [rows - existing],
        )
        cursor.execute("SELECT max(id) FROM audit_auditrecord WHERE seq IS NULL")
        newest = cursor.fetchone()[0]
        cursor.execute("ANALYZE audit_auditrecord")
    AuditPrechainSeal.objects.update_or_create(pk=1, defaults={"boundary_id": newest})
    print("sealing (xinbao backfill --only audit) …", flush=True)
    started = time.perf_counter()
    prechain.seal(batch_size=prechain.BATCH)
    print(f"  sealed in {time.perf_counter() - started:.0f} s", flush=True)


def fill_chained(rows: int) -> None:
    existing = AuditRecord.objects.filter(seq__isnull=False).count()
    if existing >= rows:
        return
    print(f"writing {rows - existing:,} chained records …", flush=True)
    key = chain.audit_key()
    now = timezone.now()
    todo = rows - existing
    while todo > 0:
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update().get(pk=1)
            seq, mac = head.seq, head.mac
            batch = []
            for _ in range(min(BATCH, todo)):
                seq += 1
                record = AuditRecord(
                    at=chain.utc_ms(now - datetime.timedelta(seconds=rows - seq)),
                    actor_name=f"town{seq % 300}",
                    role="officer",
                    action="item.adopt",
                    object_type="items.item",
                    object_id=str(seq),
                    object_repr=f"采用信息{seq}",
                    changes={"state": ["submitted", "adopted"], "points": seq % 7},
                    ip="10.0.0.1",
                    user_agent="Mozilla/5.0",
                    request_id=f"{seq:032x}",
                    seq=seq,
                )
                record.mac = mac = chain.compute_mac(mac, record, key)
                batch.append(record)
            AuditRecord.objects.bulk_create(batch)
            AuditChainHead.objects.filter(pk=1).update(seq=seq, mac=mac)
            todo -= len(batch)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prechain", type=int, default=200_000)
    parser.add_argument("--chained", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    pg_backend.migrate()
    fill_prechain(args.prechain)
    fill_chained(args.chained)
    total = AuditRecord.objects.count()
    print(f"audit_auditrecord: {total:,} rows", flush=True)
    for _ in range(args.repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            verdict = chain.verify_chain()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"verify: ok={verdict.ok} wall {wall:.1f} s cpu {cpu:.1f} s"
            f" queries {len(queries.captured_queries)} | {verdict.message}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
