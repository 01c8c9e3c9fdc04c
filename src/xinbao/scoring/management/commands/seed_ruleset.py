from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinbao.orgs.models import Unit
from xinbao.scoring.models import RuleSet
from xinbao.scoring.rules import DEMO_RULES
from xinbao.scoring.services import ruleset_save


class Command(BaseCommand):
    help = "为组织部门建立演示用的年度考核办法(已有的不覆盖)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", required=True, help="组织部门的单位代码")
        parser.add_argument("--year", type=int, default=None, help="年度(默认今年)")

    def handle(self, *args: Any, department: str, year: int | None, **options: Any) -> None:
        unit = Unit.objects.filter(code=department).first()
        if unit is None or not unit.is_org_department:
            raise CommandError(f"没有代码为 {department} 的组织部门。")
        year = year or timezone.localdate().year
        existing = RuleSet.objects.filter(department=unit, year=year).first()
        if existing is not None:
            self.stdout.write(f"{unit.name} {year} 年已有考核办法《{existing.name}》,未改动。")
            return
        name = f"{unit.short_name or unit.name}{year}年度组工信息工作考核办法"
        ruleset_save(department=unit, year=year, name=name, rules=DEMO_RULES, actor=None)
        self.stdout.write(f"已建立《{name}》。")
