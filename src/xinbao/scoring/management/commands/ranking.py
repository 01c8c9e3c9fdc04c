from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinbao.orgs.models import Unit
from xinbao.scoring.periods import parse_period
from xinbao.scoring.ranking import class_of, officer_ranking, unit_ranking
from xinbao.scoring.reports import ranking_xlsx


def department_arg(code: str | None) -> Unit:
    """The named organization department, or the only one that has units reporting to it."""
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not unit.is_org_department:
            raise CommandError(f"没有代码为 {code} 的组织部门。")
        return unit
    ids = list(
        Unit.objects.exclude(kind=Unit.Kind.ORG_DEPT)
        .exclude(department=None)
        .values_list("department_id", flat=True)
        .distinct()[:2]
    )
    if len(ids) != 1:
        raise CommandError("有多个(或没有)组织部门,请用 --department 指定单位代码。")
    return Unit.objects.get(pk=ids[0])


class Command(BaseCommand):
    help = (
        "打印或导出考核排名:各单位(按类别与总排名)或信息员,全年、季度(2026-Q3)、"
        "月份(2026-10)或日期范围(2026-03-01..2026-05-31)。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None, help="年度(默认今年)")
        parser.add_argument("--period", default="", help="2026-Q3、2026-10 或 起..止 日期")
        parser.add_argument(
            "--class",
            dest="unit_class",
            default="",
            help="单位考核类别,如 乡镇、县直部门A类(或 A类)、dept_a",
        )
        parser.add_argument("--officers", action="store_true", help="信息员排名")
        parser.add_argument("--department", default="", help="组织部门的单位代码")
        parser.add_argument(
            "--format", dest="fmt", choices=["json", "table", "xlsx"], default="table"
        )
        parser.add_argument("--out", default="", help="写入的文件(xlsx 必须指定)")

    def handle(
        self,
        *args: Any,
        year: int | None,
        period: str,
        unit_class: str,
        officers: bool,
        department: str,
        fmt: str,
        out: str,
        **options: Any,
    ) -> None:
        dept = department_arg(department or None)
        try:
            span = parse_period(period, year or timezone.localdate().year)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if year and span.year != year:
            raise CommandError(f"期间 {period} 不在 {year} 年内。")
        try:
            kind = class_of(unit_class)
        except ValueError as error:
            raise CommandError(str(error)) from error
        build = officer_ranking if officers else unit_ranking
        ranking = build(dept, span, unit_class=kind)
        if fmt == "xlsx":
            if not out:
                raise CommandError("xlsx 格式请用 --out 指定文件。")
            Path(out).write_bytes(ranking_xlsx(dept, ranking, officers=officers))
            self.stdout.write(f"已写入 {out}({len(ranking.overall)} 行)。")
            return
        if fmt == "json":
            rows = [row.as_dict() for row in self._ordered(ranking, officers)]
            text = json.dumps(
                {"department": dept.code, "period": span.key, "rows": rows},
                ensure_ascii=False,
                indent=2,
            )
        else:
            text = self._table(ranking, officers)
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"已写入 {out}。")
        else:
            self.stdout.write(text)
        sys.stdout.flush()

    @staticmethod
    def _ordered(ranking: Any, officers: bool) -> list[Any]:
        if officers:
            return list(ranking.overall)
        return [row for group in ranking.groups for row in group.rows]

    def _table(self, ranking: Any, officers: bool) -> str:
        head = "名次\t总名次\t类别\t单位代码\t单位\t得分\t报送\t采用\t市级以上\t参阅类\t任务完成"
        if officers:
            head = "名次\t信息员\t单位\t得分\t报送\t采用\t市级以上\t参阅类"
        lines = [f"{ranking.period.label}", head]
        for row in self._ordered(ranking, officers):
            d = row.as_dict()
            share = d["quota_completion"]
            done = "—" if share is None else f"{round(share * 100)}%"
            if officers:
                lines.append(
                    f"{row.rank}\t{d['officer_name']}\t{d['unit']}\t{d['points']:g}\t"
                    f"{d['submitted']}\t{d['adopted']}\t{d['high_level']}\t{d['reference']}"
                )
            else:
                lines.append(
                    f"{row.rank}\t{row.overall_rank}\t{d['unit_class_label']}\t"
                    f"{d['unit_code']}\t{d['unit']}\t"
                    f"{d['points']:g}\t{d['submitted']}\t{d['adopted']}\t{d['high_level']}\t"
                    f"{d['reference']}\t{done}"
                )
        return "\n".join(lines)
