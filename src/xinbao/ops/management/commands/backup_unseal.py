"""``xinbao backup_unseal FILE --out DIR``: a sealed backup opened and verified, ready for
``xinbao restore DIR`` (R32)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.ops.backup import BackupError
from xinbao.ops.seal import backup_unseal


class Command(BaseCommand):
    help = (
        "解密 xinbao backup_seal 写出的文件到空目录,并核对每块和清单;之后用 xinbao restore 恢复。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="加密备份文件")
        parser.add_argument("--out", required=True, type=Path, help="解密到的目录(不存在或为空)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_unseal(src=options["src"], out=options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已解密并核对:{result['out']}({result['chunks']} 块)。")
