from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xinbao.orgs.models import User
from xinbao.search.queries import similar_to_text


class Command(BaseCommand):
    help = (
        "列出与一段文字高度相似的信息(相似度、包含度),最相似的在前;"
        "给出 --as 时只列出该用户有权看到的信息。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--text-file", required=True, help="要比对的文字(UTF-8 文本文件)。")
        parser.add_argument("--as", dest="username", help="以此用户名的权限查看结果。")
        parser.add_argument("--limit", type=int, default=10, help="最多列出多少条(默认 10)。")
        parser.add_argument("--format", choices=["json", "text"], default="text", help="输出格式。")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(_("找不到用户“%(name)s”。") % {"name": options["username"]})
        if options["limit"] < 1:
            raise CommandError(_("--limit 至少为 1。"))
        path = Path(options["text_file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("无法读取文件“%(path)s”:%(error)s") % {"path": path, "error": error}
            ) from None
        if not text.strip():
            raise CommandError(_("文件“%(path)s”没有文字。") % {"path": path})
        found = similar_to_text(user, text, limit=options["limit"])
        rows = [
            {
                "id": hit.item.pk,
                "title": hit.item.title,
                "similarity": hit.similarity,
                "containment": hit.containment,
            }
            for hit in found
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(_("共 %(n)d 条高度相似的信息。") % {"n": len(rows)})
        for hit, row in zip(found, rows, strict=True):
            self.stdout.write(
                f"[{row['id']}] {row['title']} — {hit.item.unit.display_name}  "
                + _("相似度 %(s).2f,包含度 %(c).2f")
                % {"s": row["similarity"], "c": row["containment"]}
            )
