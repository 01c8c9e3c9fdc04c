from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends


class Command(BaseCommand):
    help = (
        "运行后台任务进程(发送邮件和群消息等):数据库任务队列用 django-tasks-db 的 db_worker,"
        "Redis 队列(XINBAO_TASKS_BACKEND=django_tasks_rq.RQBackend)用 RQ 的 worker。"
        "--batch 处理完已有任务后退出。见 docs/deploy.md“后台任务”。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="处理完已有任务后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="空闲时每隔多少秒检查一次")
        parser.add_argument("--max-tasks", type=int, default=None, help="最多处理多少个任务后退出")
        parser.add_argument("--queue-name", default="default", help="处理的队列,逗号分隔")

    def handle(
        self,
        *args: Any,
        batch: bool = False,
        interval: float = 1.0,
        max_tasks: int | None = None,
        queue_name: str = "default",
        **options: Any,
    ) -> None:
        backend = type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__module__
        if backend.startswith("django_tasks_rq"):  # Redis (RQ): the same command, its worker
            queues = [name.strip() for name in queue_name.split(",") if name.strip()]
            call_command(
                "rqworker",
                *queues,
                job_class="django_tasks_rq.Job",
                burst=batch,
                max_jobs=max_tasks,
                verbosity=options.get("verbosity", 1),
            )
            return
        if not backend.startswith("django_tasks_db"):
            raise CommandError(f"当前任务后端({backend})是立即执行的,不需要后台进程。")
        worker_options: dict[str, Any] = {
            "batch": batch,
            "interval": interval,
            "queue_name": queue_name,
            "reload": False,
            "startup_delay": not batch,
            "verbosity": options.get("verbosity", 1),
        }
        if max_tasks is not None:
            worker_options["max_tasks"] = max_tasks
        call_command("db_worker", **worker_options)
