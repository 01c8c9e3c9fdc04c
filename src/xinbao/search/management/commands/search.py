from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xinbao.items.models import Category, State, Urgency
from xinbao.orgs.models import Unit, User
from xinbao.search.queries import Adoption, Order, SearchFilters, search_items
from xinbao.search.snippets import plain


class Command(BaseCommand):
    help = "以某个用户的身份全文检索信息,只列出该用户有权看到的信息。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", help='检索式,如:换届 "基层组织建设" -单位:城关镇')
        parser.add_argument("--as", dest="username", required=True, help="以此用户名的权限检索。")
        parser.add_argument("--state", choices=State.values, help="只看此状态的信息。")
        parser.add_argument("--unit", help="只看此单位(单位代码)。")
        parser.add_argument("--exclude-unit", help="排除此单位(单位代码)。")
        parser.add_argument(
            "--unit-kind", choices=[Unit.Kind.TOWNSHIP, Unit.Kind.DEPARTMENT], help="单位类型。"
        )
        parser.add_argument("--category", help="类别名称,如“动态”。")
        parser.add_argument("--urgency", type=int, choices=Urgency.values, help="紧急程度。")
        parser.add_argument("--adoption", choices=Adoption.values, help="采用情况。")
        parser.add_argument("--from", dest="date_from", help="报送日期起(YYYY-MM-DD)。")
        parser.add_argument("--to", dest="date_to", help="报送日期止(YYYY-MM-DD)。")
        parser.add_argument("--order", choices=Order.values, default=Order.NEWEST, help="排序。")
        parser.add_argument("--limit", type=int, default=20, help="最多列出多少条(默认 20)。")
        parser.add_argument("--format", choices=["json", "text"], default="text", help="输出格式。")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("找不到用户“%(name)s”。") % {"name": options["username"]})
        if options["limit"] < 1:
            raise CommandError(_("--limit 至少为 1。"))
        filters = SearchFilters(
            unit_id=unit_id(options["unit"]),
            exclude_unit_id=unit_id(options["exclude_unit"]),
            unit_kind=options["unit_kind"],
            category_id=category_id(options["category"]),
            state=options["state"],
            urgency=options["urgency"],
            adoption=options["adoption"],
            date_from=parse_date(options["date_from"]),
            date_to=parse_date(options["date_to"]),
        )
        results = search_items(user, options["query"], filters, options["order"])
        for notice in results.notices:
            self.stderr.write(notice)
        hits = results.page(1, per_page=options["limit"]).object_list
        rows = [
            {
                "id": hit.item.pk,
                "title": hit.item.title,
                "unit": hit.item.unit.display_name,
                "score": hit.score,
                "snippet": plain(hit.snippet, marks=False),
                "snippet_html": str(hit.snippet),
            }
            for hit in hits
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        total = (_("%(n)d 条以上") if results.more else _("%(n)d 条")) % {"n": results.count}
        self.stdout.write(_("共 %(total)s,列出 %(k)d 条。") % {"total": total, "k": len(rows)})
        for hit, row in zip(hits, rows, strict=True):
            self.stdout.write(f"[{row['id']}] {row['title']} — {row['unit']}  ({row['score']})")
            self.stdout.write(f"    {plain(hit.snippet)}")


def unit_id(code: str | None) -> int | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code.strip()).first()
    if unit is None:
        raise CommandError(_("找不到代码为“%(code)s”的单位。") % {"code": code})
    return unit.pk


def category_id(name: str | None) -> int | None:
    if not name:
        return None
    category = Category.objects.filter(name=name.strip()).first()
    if category is None:
        raise CommandError(_("找不到类别“%(name)s”。") % {"name": name})
    return category.pk


def parse_date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("日期格式应为 YYYY-MM-DD:%(value)s") % {"value": value}) from None
