"""``flush`` that can empty the append-only audit table: it lifts the audit triggers for the
flush and puts them back. Refused in production, where the audit log is never emptied."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from xinbao.audit import triggers


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("生产环境不允许清空数据库(审计记录不可删除)。")
        connection = connections[options["database"]]
        with connection.schema_editor() as editor:
            triggers.remove(editor)
        try:
            super().handle(**options)
        finally:
            with connection.schema_editor() as editor:
                triggers.install(editor)
