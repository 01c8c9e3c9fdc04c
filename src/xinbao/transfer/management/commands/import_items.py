"""``xinbao import_items FOLDER --metadata FILE --as EDITOR [--dry-run]``: historical items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from xinbao.items.errors import ItemError
from xinbao.orgs.models import User
from xinbao.transfer.models import HistoricalImport
from xinbao.transfer.services import (
    HistoricalImportError,
    check_importer,
    historical_import_plan,
    historical_import_run,
)


class Command(BaseCommand):
    help = (
        "导入历史信息:一个 .docx 文件夹和一张元数据表(单位、报送日期、采用记录)。"
        "可重复运行,已导入的跳过。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--metadata", type=Path, required=True, help=".xlsx 或 .csv 元数据表")
        parser.add_argument("--as", dest="username", required=True, help="执行导入的编辑账号")
        parser.add_argument("--dry-run", action="store_true", help="只检查,不写入")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"文件夹不存在:{folder}")
        try:
            metadata = Path(options["metadata"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取元数据表:{exc}") from exc
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"没有账号 {options['username']}")
        try:
            department = check_importer(actor)
            if options["dry_run"]:
                plan = historical_import_plan(
                    folder=folder, metadata=metadata, department=department
                )
                adoptions = sum(len(d.adoptions) for d in plan)
                self.stdout.write(
                    f"检查通过:{len(plan)} 个文件,{adoptions} 条采用记录;未写入任何数据。"
                )
                return
            with tqdm(desc="导入", unit="篇", disable=None) as bar:

                def progress(job: HistoricalImport) -> None:
                    bar.total = job.total
                    bar.n = job.done + job.skipped
                    bar.refresh()

                job = historical_import_run(
                    actor=actor, folder=folder, metadata=metadata, progress=progress
                )
        except HistoricalImportError as error:
            raise CommandError("\n".join(error.shown)) from error
        except ItemError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"导入完成:新导入 {job.done} 篇,已存在跳过 {job.skipped} 篇。")
