from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.items.errors import ItemError
from xinbao.orgs.models import Unit
from xinbao.scoring.ruleset_io import is_yaml, read_document
from xinbao.scoring.services import ruleset_save


class Command(BaseCommand):
    help = (
        "从 JSON 或 YAML 文件导入考核办法(含 department、year、name、rules),"
        "逐条检查,有误时不做任何改动。已有同年度的考核办法将被替换。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="考核办法文件(.json / .yaml)")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}。")
        document, errors = read_document(path.read_text(encoding="utf-8"), as_yaml=is_yaml(path))
        department = None
        if not errors:
            department = Unit.objects.filter(code=document["department"]).first()
            if department is None or not department.is_org_department:
                errors.append(f"没有代码为 {document['department']} 的组织部门。")
        if errors or department is None:
            raise CommandError("考核办法未导入:\n" + "\n".join(f"  {e}" for e in errors))
        try:
            ruleset = ruleset_save(
                department=department,
                year=document["year"],
                name=str(document["name"]),
                rules=document["rules"],
                actor=None,
            )
        except ItemError as error:
            raise CommandError(f"考核办法未导入:{error}") from error
        self.stdout.write(f"已导入《{ruleset.name}》({department.name} {ruleset.year} 年)。")
