from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from xinbao.items.models import Item
from xinbao.search import index, parallel, rebuild


class Command(BaseCommand):
    help = (
        "重建全文检索索引和查重索引:逐批重新计算每条信息的检索词、MinHash 签名、相似信息和"
        "新颖度,显示进度,最后报告条数和用时。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help=f"每批处理的信息条数(默认:全文索引 {index.REINDEX_BATCH} 条,"
            f"查重索引 {rebuild.REINDEX_BATCH} 条)。",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="另外从检索词表整体重建数据库的全文索引结构(索引损坏或升级后使用)。",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=parallel.default_workers(),
            help="计算检索词和签名的进程数(默认:本机可用的处理器数;1 表示在本进程内计算)。",
        )
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条。")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers < 1:
            raise CommandError(_("进程数至少为 1。"))
        total = Item.objects.count()
        with tqdm(
            total=total,
            unit=_("条"),
            desc=_("重建索引"),
            file=cast(TextIO, self.stderr._out),  # raw stream: OutputWrapper adds newlines
            disable=options["no_progress"],
        ) as bar:
            result = index.reindex(
                batch_size=max(1, options["batch_size"] or index.REINDEX_BATCH),
                progress=bar.update,
                workers=workers,
            )
        if options["full"]:
            index.rebuild_backend()
        self.stdout.write(
            _("已索引 %(items)d 条信息(更新 %(written)d 条),用时 %(seconds).1f 秒。")
            % {"items": result.items, "written": result.written, "seconds": result.seconds}
        )
        with tqdm(
            total=2 * total,
            unit=_("条"),
            desc=_("重建查重索引"),
            file=cast(TextIO, self.stderr._out),
            disable=options["no_progress"],
        ) as bar:
            dup = rebuild.reindex(
                batch_size=max(1, options["batch_size"] or rebuild.REINDEX_BATCH),
                progress=bar.update,
                workers=workers,
            )
        self.stdout.write(
            _(
                "已建立 %(items)d 条信息的查重索引(更新 %(written)d 条),"
                "相似信息 %(pairs)d 对,用时 %(seconds).1f 秒。"
            )
            % {
                "items": dup.items,
                "written": dup.entries_written,
                "pairs": dup.pairs,
                "seconds": dup.seconds,
            }
        )
