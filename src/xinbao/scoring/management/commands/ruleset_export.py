from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.scoring.models import RuleSet
from xinbao.scoring.ruleset_io import document_of, dump, is_yaml


class Command(BaseCommand):
    help = "导出一个组织部门某年度的考核办法为 JSON(文件名以 .yaml/.yml 结尾时为 YAML)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", required=True, help="组织部门的单位代码")
        parser.add_argument("--year", type=int, required=True, help="年度")
        parser.add_argument("--out", default="", help="写入的文件(默认打印到屏幕,JSON)")
        parser.add_argument("--yaml", action="store_true", help="打印为 YAML")

    def handle(
        self, *args: Any, department: str, year: int, out: str, yaml: bool, **options: Any
    ) -> None:
        ruleset = (
            RuleSet.objects.filter(department__code=department, year=year)
            .select_related("department")
            .first()
        )
        if ruleset is None:
            raise CommandError(f"{department} 没有 {year} 年的考核办法。")
        as_yaml = yaml or (bool(out) and is_yaml(Path(out)))
        try:
            text = dump(document_of(ruleset), as_yaml=as_yaml)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stdout.write(f"已导出《{ruleset.name}》到 {out}。")
        else:
            self.stdout.write(text, ending="")
