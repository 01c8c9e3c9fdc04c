from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.dashboard.periods import PeriodError, parse_month
from xinbao.dashboard.report import monthly_report, report_docx
from xinbao.orgs.models import Unit


class Command(BaseCommand):
    help = "生成某月的信息工作月报(Word 文件)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="月份,如 2026-10")
        parser.add_argument("--department", default="", help="组织部门代码(只有一个时可省略)")
        parser.add_argument("--out", required=True, help="输出文件,如 report.docx")

    def handle(self, *args: Any, month: str, department: str, out: str, **options: Any) -> None:
        try:
            period = parse_month(month)
        except PeriodError as error:
            raise CommandError(str(error)) from None
        departments = Unit.objects.filter(kind=Unit.Kind.ORG_DEPT, member_units__isnull=False)
        if department:
            dept = Unit.objects.filter(kind=Unit.Kind.ORG_DEPT, code=department).first()
            if dept is None:
                raise CommandError(f"没有代码为 {department} 的组织部门。")
        else:
            candidates = list(
                departments.exclude(member_units__kind=Unit.Kind.ORG_DEPT).distinct()[:2]
            )
            if len(candidates) != 1:
                raise CommandError("请用 --department 指定组织部门代码。")
            dept = candidates[0]
        report = monthly_report(dept, period)
        Path(out).write_bytes(report_docx(report))
        self.stdout.write(f"已生成 {dept.name} {period.label} 月报:{out}")
