from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from xinbao.security.services import disable_stale_accounts


class Command(BaseCommand):
    help = "停用超过 N 天未登录的账号(默认 XINBAO_INACTIVE_DAYS,90 天);重复运行不会重复停用。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.XINBAO_INACTIVE_DAYS
        count = disable_stale_accounts(days=days)
        self.stdout.write(f"停用账号 {count} 个(超过 {days} 天未登录)。")
