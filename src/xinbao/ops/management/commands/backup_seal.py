"""``xinbao backup_seal DIR --out FILE``: the backup in DIR, verified, as one SM4-GCM file (R32)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.ops.backup import BackupError
from xinbao.ops.seal import backup_seal


class Command(BaseCommand):
    help = "把备份目录(先核对清单)加密为一个 SM4-GCM 文件,用于异地保存;密钥另行保管。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="xinbao backup 写出的备份目录")
        parser.add_argument("--out", required=True, type=Path, help="加密文件(不得已存在)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_seal(src=options["src"], out=options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已加密到 {result['file']}:{result['bytes']} 字节,{result['chunks']} 块,"
            f"SM3 {result['sm3']},密钥标识 {result['key_id']}。"
        )
