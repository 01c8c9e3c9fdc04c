from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.web import translation


class Command(BaseCommand):
    help = "生成繁体中文界面词条(从简体源文字经 OpenCC 转换),或用 --check 检查是否齐全。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="只检查:有未翻译的界面文字时以非零状态退出,不改动任何文件。",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        if check:
            with tempfile.TemporaryDirectory(prefix="xinbao-i18n-") as scratch:
                absent = translation.missing(translation.extract(Path(scratch)))
            if absent:
                listed = "\n".join(f"  {msgid}" for msgid in absent[:50])
                raise CommandError(
                    f"繁体词条缺少 {len(absent)} 条,请运行 xinbao hant_catalog:\n{listed}"
                )
            self.stdout.write("繁体词条齐全。")
            return
        total, filled = translation.build()
        self.stdout.write(f"繁体词条共 {total} 条,本次生成 {filled} 条。")
