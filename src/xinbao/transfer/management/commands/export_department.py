"""``xinbao export_department --department CODE --out FILE``: a department's portable archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from xinbao.orgs.models import Unit
from xinbao.transfer.archive.export import department_export, export_total
from xinbao.transfer.archive.format import ArchiveError


class Command(BaseCommand):
    help = (
        "导出一个组织部门的全部数据为可移植归档(zip:每类数据一个 JSON Lines 文件、附件原件、"
        "带 SM3 摘要的清单),可用 import_department 导入另一套系统。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", required=True, help="组织部门的单位代码")
        parser.add_argument("--out", type=Path, required=True, help="归档文件(.zip)")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条。")

    def handle(self, *args: Any, **options: Any) -> None:
        department = Unit.objects.filter(code=options["department"]).first()
        if department is None:
            raise CommandError(_("没有代码为 %(code)s 的单位。") % {"code": options["department"]})
        with tqdm(
            total=export_total(department),
            unit=_("条"),
            desc=_("导出"),
            file=cast(TextIO, self.stderr._out),
            disable=options["no_progress"],
        ) as bar:
            try:
                result = department_export(
                    department=department,
                    out=options["out"],
                    progress=lambda _kind, rows: bar.update(rows),
                )
            except ArchiveError as error:
                raise CommandError("\n".join(error.shown)) from error
        self.stdout.write(
            _("已导出 %(name)s:%(rows)d 行数据,%(files)d 个文件(%(bytes)d 字节),写入 %(path)s。")
            % {
                "name": department.name,
                "rows": sum(result.counts.values()),
                "files": result.files,
                "bytes": result.file_bytes,
                "path": result.path,
            }
        )
        for key, count in sorted(result.dropped.items()):
            self.stdout.write(
                _("注意:%(count)d 处 %(field)s 引用了本部门以外的数据,未随归档导出。")
                % {"count": count, "field": key}
            )
