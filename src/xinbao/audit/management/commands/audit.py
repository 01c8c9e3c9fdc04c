"""``xinbao audit verify`` and ``xinbao audit purge --before DATE``.

``verify`` walks the HMAC-SM3 chain and exits 1 naming the first broken or missing link;
``purge`` removes records older than the date (never younger than the retention period) and
leaves an anchor so that ``verify`` still passes.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinbao.audit.chain import verify_chain
from xinbao.audit.services import PurgeRefused, audit_purge


class Command(BaseCommand):
    help = "校验审计链(verify)或清理超过保留期的审计记录(purge)。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="校验审计链,发现断链时以非零状态退出")
        verify.add_argument("--database", default="default")
        purge = sub.add_parser("purge", help="清理某日之前的审计记录(不少于保留期)")
        purge.add_argument("--before", required=True, help="日期 YYYY-MM-DD(本地时间零点)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            verdict = verify_chain(options["database"])
            if not verdict.ok:
                raise CommandError(f"审计链断裂:{verdict.message}", returncode=1)
            self.stdout.write(verdict.message)
            return
        try:
            day = datetime.date.fromisoformat(options["before"])
        except ValueError as exc:
            raise CommandError("--before 须为日期 YYYY-MM-DD。") from exc
        before = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        try:
            count = audit_purge(before=before)
        except PurgeRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已清理 {count} 条 {day} 之前的审计记录;审计链仍可校验。")
