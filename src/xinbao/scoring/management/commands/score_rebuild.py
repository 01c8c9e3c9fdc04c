from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinbao.items.errors import ItemError
from xinbao.orgs.models import Unit
from xinbao.scoring.ledger import rebuild
from xinbao.scoring.rules import signed


class Command(BaseCommand):
    help = "按考核办法从已登记的事实重新计算一个组织部门某年度的计分明细,并打印各单位得分。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", required=True, help="组织部门的单位代码")
        parser.add_argument("--year", type=int, default=None, help="年度(默认今年)")

    def handle(self, *args: Any, department: str, year: int | None, **options: Any) -> None:
        unit = Unit.objects.filter(code=department).first()
        if unit is None or not unit.is_org_department:
            raise CommandError(f"没有代码为 {department} 的组织部门。")
        year = year or timezone.localdate().year
        try:
            result = rebuild(unit, year)
        except ItemError as error:
            raise CommandError(str(error)) from error
        names = dict(Unit.objects.filter(pk__in=list(result.totals)).values_list("pk", "name"))
        self.stdout.write(
            f"{unit.name} {year} 年:计分明细 {result.entries} 条,变动 {result.changed} 条。"
        )
        ranked = sorted(result.totals.items(), key=lambda pair: (-pair[1], names.get(pair[0], "")))
        for unit_id, points in ranked:
            self.stdout.write(f"  {names.get(unit_id, unit_id)}\t{signed(Decimal(points))}")
