"""``xinbao backup --out DIR``: a consistent backup taken while the system writes (R32)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "备份数据库(SQLite 在线备份或 pg_dump)和附件,写出带摘要的清单。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="备份目录(不存在或为空)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_create(out=options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"已备份到 {options['out']}:{len(manifest['counts'])} 张表 {rows} 行,"
            f"{len(manifest['files'])} 个文件,审计链到 seq {manifest['audit_head']['seq']}。"
        )
