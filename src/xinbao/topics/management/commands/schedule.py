from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.topics.reminders import run_due_jobs

LABELS = {
    "close_overdue": "约稿逾期未回复",
    "escalate_overdue": "紧急信息超时提醒部领导",
    "topic_due": "约稿截止提醒",
    "topic_missed": "约稿未回复提醒",
    "monthly_quiet": "本月未报送提醒",
    "returned_idle": "退回信息未处理提醒",
    "instruction_feedback": "批示反馈提醒",
    "retry_deliveries": "邮件和群消息重试",
    "refresh_pending": "计分与统计补更新",
    "monthly_report": "信息工作月报",
    "disable_stale_accounts": "停用长期未登录的账号",
    "clear_sessions": "清理过期会话",
    "expire_exports": "删除过期的部门数据归档",
    "abandon_stale_exports": "结束中断的部门数据导出",
}


class Command(BaseCommand):
    help = (
        "运行到期的定时任务(约稿截止与逾期、紧急信息超时、本月未报送、退回未处理、批示反馈等提醒,以及失败邮件和群消息的重试、未完成的计分与统计更新、过期部门数据归档的删除、中断导出的结束)。"
        "--once 运行一次后退出,供 cron 或 systemd 定时器调用;重复运行不会重复发送。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="运行一次后退出")
        parser.add_argument(
            "--interval", type=int, default=300, help="不带 --once 时,每隔多少秒运行一次"
        )

    def handle(self, *args: Any, once: bool = False, interval: int = 300, **options: Any) -> None:
        while True:
            done = run_due_jobs()
            failed = [name for name, count in done.items() if count < 0]
            summary = ",".join(
                f"{LABELS.get(name, name)} {count}" for name, count in done.items() if count >= 0
            )
            self.stdout.write(f"定时任务完成:{summary}。")
            if once:
                if failed:
                    raise CommandError(f"以下任务失败,详见日志:{', '.join(failed)}")
                return
            time.sleep(max(10, interval))
