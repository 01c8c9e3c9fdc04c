"""``xinbao restore_drill``: back up, restore into a scratch database, compare, and keep the
restore record (恢复测试记录) as JSON — the evidence 等保 assessors ask for (R33)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.ops.backup import restore_drill


class Command(BaseCommand):
    help = "恢复演练:备份、恢复到临时库、比对行数与审计链,写出恢复测试记录(JSON)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--records",
            type=Path,
            default=None,
            help="恢复测试记录的目录(默认 var/restore_records)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        record_dir = options["records"] or Path(settings.VAR_DIR) / "restore_records"
        record = restore_drill(record_dir=record_dir)
        self.stdout.write(json.dumps(record, ensure_ascii=False, indent=2))
        if record["result"] != "passed":
            raise CommandError(f"恢复演练未通过:{record.get('reason', '')}", returncode=1)
