"""``xinbao import_department FILE``: load a department's portable archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from xinbao.transfer.archive.format import ArchiveError
from xinbao.transfer.archive.load import archive_read, department_import


class Command(BaseCommand):
    help = (
        "导入 export_department 写出的部门归档:先校验签名(HMAC-SM3)、清单、SM3 摘要、格式版本"
        "和全部引用,"
        "任何错误都不写入;整个导入在一个事务中完成。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条。")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            archive = archive_read(path)  # verified (signature, digests) before the bar starts
            with tqdm(
                total=archive.total,
                unit=_("条"),
                desc=_("导入"),
                file=cast(TextIO, self.stderr._out),
                disable=options["no_progress"],
            ) as bar:
                result = department_import(
                    path=path, archive=archive, progress=lambda _kind, rows: bar.update(rows)
                )
        except ArchiveError as error:
            raise CommandError("\n".join(error.shown)) from error
        self.stdout.write(
            _(
                "已导入 %(name)s:%(rows)d 行数据,%(files)d 个文件;新建单位 %(units)d 个"
                "(已有 %(matched)d 个),新建账号 %(users)d 个(已有 %(matched_users)d 个)。"
                "导入的账号都没有密码,须由管理员设置初始密码,首次登录时修改。"
            )
            % {
                "name": result.department.name,
                "rows": sum(result.counts.values()),
                "files": result.files,
                "units": result.created_units,
                "matched": result.matched_units,
                "users": result.created_users,
                "matched_users": result.matched_users,
            }
        )
