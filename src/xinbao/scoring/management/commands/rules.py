from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "考核办法文件:export FILE 导出(--department、--year),import FILE 导入并逐条检查"
        "(有误时不做任何改动)。文件名以 .yaml/.yml 结尾时为 YAML,否则为 JSON。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("file", help="文件;export 时用 - 打印到屏幕")
        parser.add_argument("--department", default="", help="export:组织部门的单位代码")
        parser.add_argument("--year", type=int, default=None, help="export:年度")

    def handle(
        self,
        *args: Any,
        action: str,
        file: str,
        department: str,
        year: int | None,
        **options: Any,
    ) -> None:
        if action == "import":
            call_command("ruleset_import", file, stdout=self.stdout, stderr=self.stderr)
            return
        from xinbao.scoring.management.commands.ranking import department_arg
        from xinbao.scoring.models import RuleSet

        dept = department_arg(department or None)
        if year is None:
            latest = RuleSet.objects.filter(department=dept).order_by("-year").first()
            if latest is None:
                raise CommandError(f"{dept.name} 还没有考核办法。")
            year = latest.year
        out = "" if file == "-" else file
        call_command("ruleset_export", department=dept.code, year=year, out=out, stdout=self.stdout)
