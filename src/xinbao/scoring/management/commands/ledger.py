from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinbao.items.errors import ItemError
from xinbao.orgs.models import Unit
from xinbao.scoring.ledger import rebuild
from xinbao.scoring.models import RuleSet


class Command(BaseCommand):
    help = (
        "计分明细:rebuild 按考核办法从已登记的事实重新计算(默认所有有考核办法的组织部门,"
        "今年),打印变动的条数(没有变动时为 0)。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"], help="rebuild")
        parser.add_argument("--year", type=int, default=None, help="年度(默认今年)")
        parser.add_argument("--department", default="", help="组织部门的单位代码(默认全部)")

    def handle(
        self, *args: Any, action: str, year: int | None, department: str, **options: Any
    ) -> None:
        year = year or timezone.localdate().year
        rulesets = RuleSet.objects.filter(year=year).select_related("department")
        if department:
            unit = Unit.objects.filter(code=department).first()
            if unit is None or not unit.is_org_department:
                raise CommandError(f"没有代码为 {department} 的组织部门。")
            rulesets = rulesets.filter(department=unit)
        rulesets = rulesets.order_by("department__code")
        if not rulesets:
            raise CommandError(f"{year} 年没有任何考核办法,无从计分。")
        changed = 0
        for ruleset in rulesets:
            try:
                result = rebuild(ruleset.department, year)
            except ItemError as error:
                raise CommandError(str(error)) from error
            changed += result.changed
            self.stdout.write(
                f"{ruleset.department.name} {year} 年:计分明细 {result.entries} 条,"
                f"变动 {result.changed} 条。"
            )
        self.stdout.write(f"共变动 {changed} 条。")
