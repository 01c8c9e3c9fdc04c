from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinbao.topics.services import do_targets_rebuild
from xinbao.topics.timeliness import timeliness_rebuild


class Command(BaseCommand):
    help = (
        "按流转记录重新计算每条信息的报送时效和各约稿的回复情况"
        "(批量改写过历史时间后运行,如生成演示数据之后)。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        items = timeliness_rebuild()
        targets = do_targets_rebuild()
        self.stdout.write(f"已重新计算 {items} 条信息的报送时效、{targets} 个约稿对象的回复情况。")
