"""``xinbao scrub``: verify every stored attachment against its digest (SECURITY.md R24).

Reads each file once and compares its SM3 digest (SHA-256 for files stored before SM3 digests
were taken) with the one taken at upload. Reports missing and corrupt files, and orphans (files
under ``MEDIA_ROOT/attachments/`` that no row points to). Exits 1 when a file is missing or
corrupt; orphans alone are reported but are not damage. Writes one ``integrity.scrub`` audit
record with the counts. Run it from cron; it reads the rows in batches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from xinbao.audit.services import audit_record
from xinbao.items.attachments import stored_digest_ok
from xinbao.items.models import Attachment


class Command(BaseCommand):
    help = "校验全部附件文件的 SM3 摘要,列出缺失、损坏的文件和无记录的孤立文件;有损坏时退出码为 1。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条。")

    def handle(self, *args: Any, **options: Any) -> None:
        missing: list[dict[str, Any]] = []
        corrupt: list[dict[str, Any]] = []
        known: set[str] = set()
        rows = Attachment.objects.only(
            "pk", "item_id", "file", "sha256", "sm3", "original_name"
        ).order_by("pk")
        with tqdm(
            total=rows.count(),
            unit=_("件"),
            desc=_("校验附件"),
            disable=options["no_progress"],
            file=cast(TextIO, self.stderr._out),  # raw stream: OutputWrapper adds newlines
        ) as bar:
            for attachment in rows.iterator(chunk_size=500):
                known.add(attachment.file.name)
                entry = {
                    "id": attachment.pk,
                    "item": attachment.item_id,
                    "name": attachment.original_name,
                    "path": attachment.file.name,
                }
                try:
                    with attachment.file.open("rb") as handle:
                        data = handle.read()
                except (OSError, ValueError):
                    missing.append(entry)
                else:
                    if not stored_digest_ok(attachment, data):
                        corrupt.append(entry)
                bar.update(1)
        orphans = self.orphans(known)
        with transaction.atomic():
            audit_record(
                actor=None,
                action="integrity.scrub",
                changes={
                    "missing": [e["id"] for e in missing],
                    "corrupt": [e["id"] for e in corrupt],
                    "orphans": len(orphans),
                },
                success=not (missing or corrupt),
            )
        self.report(missing, corrupt, orphans, options["format"])
        if missing or corrupt:
            raise SystemExit(1)

    def orphans(self, known: set[str]) -> list[str]:
        root = Path(settings.MEDIA_ROOT)
        base = root / "attachments"
        if not base.is_dir():
            return []
        found = (p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(name for name in found if name not in known)

    def report(
        self,
        missing: list[dict[str, Any]],
        corrupt: list[dict[str, Any]],
        orphans: list[str],
        fmt: str,
    ) -> None:
        if fmt == "json":
            payload = {"missing": missing, "corrupt": corrupt, "orphans": orphans}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        for e in missing:
            self.stdout.write(_("缺失\t附件 %(id)s(信息 %(item)s)\t%(name)s\t%(path)s") % e)
        for e in corrupt:
            self.stdout.write(_("损坏\t附件 %(id)s(信息 %(item)s)\t%(name)s\t%(path)s") % e)
        for path in orphans:
            self.stdout.write(_("孤立\t%(path)s") % {"path": path})
        counts = {"missing": len(missing), "corrupt": len(corrupt), "orphans": len(orphans)}
        self.stdout.write(
            _("校验完成:缺失 %(missing)d,损坏 %(corrupt)d,孤立文件 %(orphans)d。") % counts
        )
