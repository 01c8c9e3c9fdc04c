"""``xinbao restore DIR``: restore a verified backup into the configured, empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from xinbao.audit.services import audit_record
from xinbao.ops.backup import BackupError, restore_into


class Command(BaseCommand):
    help = "把备份恢复到空数据库:先核对清单摘要,恢复后核对行数和审计链。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="xinbao backup 写出的目录")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_into(
                src=options["src"], alias="default", media_root=Path(settings.MEDIA_ROOT)
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic():
            audit_record(
                actor=None,
                action="ops.restore",
                changes={"src": str(options["src"]), "rows": sum(result.counts.values())},
            )
        self.stdout.write(
            f"已恢复:{sum(result.counts.values())} 行,用时 {result.seconds:.1f} 秒;{result.audit}"
        )
