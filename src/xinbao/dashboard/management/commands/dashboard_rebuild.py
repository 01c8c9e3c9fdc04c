"""``xinbao dashboard_rebuild [--department CODE]``: recompute the dashboards' stored monthly
cells of every organization department (or one) from the recorded facts, then make the cached
figures stale. Needed only after facts were written in bulk (signals keep the cells current
otherwise); a department never built is built by its first dashboard."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xinbao.dashboard.aggregates import department_build
from xinbao.dashboard.cache import bump
from xinbao.orgs.models import Unit


class Command(BaseCommand):
    help = _("按已记录的事实重新计算统计图表的各单位月度汇总(批量写入数据之后运行)。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--department", default="", help=_("组织部门代码(默认全部)"))

    def handle(self, *args: Any, department: str, **options: Any) -> None:
        departments = Unit.objects.filter(kind=Unit.Kind.ORG_DEPT).order_by("path")
        if department:
            departments = departments.filter(code=department)
            if not departments.exists():
                raise CommandError(_("没有代码为 %(code)s 的组织部门。") % {"code": department})
        for dept in departments:
            started = time.perf_counter()
            rows = department_build(dept.pk)
            bump(dept.pk)
            self.stdout.write(
                _("%(name)s:%(rows)d 条单位月度汇总,用时 %(s).1f 秒。")
                % {"name": dept.name, "rows": rows, "s": time.perf_counter() - started}
            )
