"""``xinbao backfill``: the data work of an upgrade, done after ``migrate`` while the system runs.

The migrations are schema only (each runs in seconds on a million items); what they used to do
to every existing row is done here in batches, one transaction each, with a progress bar:

- ``secrecy``: the 保密 finding count of items not checked yet (``xinbao.items.backfill``);
- ``sm3``: the SM3 digest of attachments stored before SM3 digests were taken;
- ``fulltext``: the PostgreSQL ``tsvector`` of full-text documents (``xinbao.search.fulltext``);
- ``scope``: the item's unit, department and state copied onto its full-text document (search
  reads visibility there; a document without them matches no search until this has run);
- ``audit``: the seal over audit records from before the chain (``xinbao.audit.prechain``).

Every part writes only rows still missing their value, so an interrupted run resumes where it
stopped and a run with nothing left to do changes nothing (a fresh installation has nothing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from xinbao.audit import prechain
from xinbao.items import backfill as items_backfill
from xinbao.search import fulltext

PARTS = ("secrecy", "sm3", "fulltext", "scope", "audit")


class Command(BaseCommand):
    help = (
        "升级后补算数据(在 migrate 之后、系统照常运行时执行):信息的保密自查、附件的 SM3 摘要、"
        "全文检索向量和可见范围、升级前审计记录的封存;分批提交,显示进度,中断后再次运行从断点继续。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            nargs="+",
            choices=PARTS,
            default=list(PARTS),
            help="只补算这几项(secrecy、sm3、fulltext、scope、audit)。",
        )
        parser.add_argument("--batch-size", type=int, default=None, help="每批的行数。")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条。")

    def handle(self, *args: Any, **options: Any) -> None:
        size = options["batch_size"]
        parts: dict[str, tuple[str, Callable[[], int], Callable[..., Any], int]] = {
            "secrecy": (
                _("保密自查"),
                items_backfill.secrecy_pending,
                items_backfill.secrecy_backfill,
                items_backfill.BATCH,
            ),
            "sm3": (
                _("附件 SM3 摘要"),
                items_backfill.sm3_pending,
                items_backfill.sm3_backfill,
                items_backfill.BATCH,
            ),
            "fulltext": (_("全文检索向量"), fulltext.vector_pending, fulltext.backfill, 5000),
            "scope": (
                _("全文检索的可见范围"),
                fulltext.scope_pending,
                fulltext.scope_backfill,
                5000,
            ),
            "audit": (_("审计记录封存"), prechain.pending, prechain.seal, prechain.BATCH),
        }
        for name in PARTS:
            if name not in options["only"]:
                continue
            label, pending, run, default_size = parts[name]
            started, cpu = time.perf_counter(), time.process_time()
            with tqdm(
                total=pending(),
                unit=_("条"),
                desc=label,
                file=cast(TextIO, self.stderr._out),  # raw stream: OutputWrapper adds newlines
                disable=options["no_progress"],
            ) as bar:
                done = 0

                def advance(rows: int, bar: Any = bar) -> None:
                    nonlocal done
                    done += rows
                    bar.update(rows)  # a disabled bar counts nothing

                run(batch_size=max(1, size or default_size), progress=advance)
            seconds = time.perf_counter() - started
            self.stdout.write(
                _("%(label)s:处理 %(n)d 条,用时 %(s).1f 秒(CPU %(cpu).1f 秒)。")
                % {
                    "label": label,
                    "n": done,
                    "s": seconds,
                    "cpu": time.process_time() - cpu,
                }
            )
