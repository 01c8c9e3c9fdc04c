from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinbao.orgs.models import Unit
from xinbao.topics.key_work_seed import seed_key_work


class Command(BaseCommand):
    help = "为组织部门建立一年的工作要点:一个统领、五大目标、六项工作(已有的不重复建立)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", required=True, help="组织部门的单位代码")
        parser.add_argument("--year", type=int, default=None, help="年度(默认今年)")

    def handle(self, *args: Any, department: str, year: int | None, **options: Any) -> None:
        unit = Unit.objects.filter(code=department).first()
        if unit is None or not unit.is_org_department:
            raise CommandError(f"没有代码为 {department} 的组织部门。")
        year = year or timezone.localdate().year
        created, kept = seed_key_work(unit, year)
        self.stdout.write(f"{unit.name} {year} 年工作要点:新建 {created} 项,已有 {kept} 项。")
