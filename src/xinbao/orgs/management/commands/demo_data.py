"""``xinbao demo_data``: load the demo county 云溪县 — its org tree, the demo accounts, about a
year of information items in every workflow state, and what the department made of them. What is
built, and why a second run adds nothing, is in ``xinbao.orgs.demo``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinbao.orgs.demo.loading import DEFAULT_ITEMS, demo_load


class Command(BaseCommand):
    help = (
        "载入演示数据：云溪县的组织架构、演示账号，近一年的信息、刊物、转报和上级采用"
        "（重复运行不会重复创建）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--items",
            type=int,
            default=DEFAULT_ITEMS,
            help=f"生成的信息条数（默认 {DEFAULT_ITEMS}；县委组织部已有信息时不再生成）。",
        )

    def handle(self, *args: Any, items: int = DEFAULT_ITEMS, **options: Any) -> None:
        demo_load(items=items, write=self.stdout.write)
