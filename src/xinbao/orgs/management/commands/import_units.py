from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xinbao.orgs.importing import (
    CREATE,
    UPDATE,
    FieldChange,
    ImportResult,
    UnitImportError,
    unit_import,
)


class Command(BaseCommand):
    help = "从 .xlsx 或 .csv 表格导入单位(有信息员列时一并导入信息员账号)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="表格文件(.xlsx 或 .csv,第一行为列名)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="只检查并列出将要发生的变更,不写入数据库。",
        )

    def handle(self, *args: Any, file: str, dry_run: bool = False, **options: Any) -> None:
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("无法读取文件“%(file)s”:%(error)s") % {"file": file, "error": exc.strerror}
            ) from exc
        try:
            result = unit_import(data=data, actor=None, filename=path.name, dry_run=dry_run)
        except UnitImportError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                _("导入失败:共 %(count)d 处错误,未导入任何数据。") % {"count": len(exc.messages)}
            ) from exc
        if dry_run:
            self._list_changes(result)
        self.stdout.write(result.summary())
        if not dry_run and result.officers_with(CREATE):
            self.stdout.write(_("新建的信息员账号尚无密码,请由管理员设置初始密码后告知本人。"))

    def _list_changes(self, result: ImportResult) -> None:
        for unit in result.units:
            if unit.action == CREATE:
                self.stdout.write(
                    _("第 %(row)d 行 新建单位 %(code)s %(name)s")
                    % {"row": unit.row, "code": unit.code, "name": unit.name}
                )
            elif unit.action == UPDATE:
                self.stdout.write(
                    _("第 %(row)d 行 更新单位 %(code)s %(name)s:%(changes)s")
                    % {
                        "row": unit.row,
                        "code": unit.code,
                        "name": unit.name,
                        "changes": _describe(unit.changes),
                    }
                )
        for officer in result.officers:
            if officer.action == CREATE:
                self.stdout.write(
                    _("第 %(row)d 行 新建信息员账号 %(username)s(%(name)s,%(unit)s)")
                    % {
                        "row": officer.row,
                        "username": officer.username,
                        "name": officer.full_name,
                        "unit": officer.unit_code,
                    }
                )
            elif officer.action == UPDATE:
                self.stdout.write(
                    _("第 %(row)d 行 更新信息员账号 %(username)s:%(changes)s")
                    % {
                        "row": officer.row,
                        "username": officer.username,
                        "changes": _describe(officer.changes),
                    }
                )


def _describe(changes: list[FieldChange]) -> str:
    empty = _("(空)")
    return ";".join(
        f"{change.label} {change.old or empty} → {change.new or empty}" for change in changes
    )
