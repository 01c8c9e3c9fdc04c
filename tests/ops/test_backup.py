"""R32, R33: backups taken during writes, restored only into an empty database after their
digests check out, and the restore drill's record.

Transactional tests: a backup reads what is committed, through a connection of its own."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.factories import make_attachment, make_item
from xinbao.audit.models import AuditRecord
from xinbao.audit.services import audit_record
from xinbao.items.models import Attachment, Category, Item
from xinbao.ops.backup import (
    BackupError,
    backup_create,
    backup_verify,
    restore_into,
    scratch_database,
)


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def content(county: County) -> Item:
    Category.objects.get_or_create(name="动态")  # a transactional test starts from a flush
    item = make_item(officer=county.officer_a)
    make_attachment(item=item)
    return item


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r32_backup_has_a_digest_manifest_and_restores_into_an_empty_database(
    county: County, media: Path, tmp_path: Path
) -> None:
    content(county)
    manifest = backup_create(out=tmp_path / "bk")
    assert manifest["counts"]["items_item"] == Item.objects.count() == 1
    assert manifest["counts"]["items_attachment"] == 1
    names = set(manifest["files"])
    assert any(n.startswith("media/") for n in names)
    assert all(len(f["sm3"]) == 64 and len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert AuditRecord.objects.filter(action="ops.backup").count() == 1
    with scratch_database("bk_test") as (alias, media_root):
        result = restore_into(src=tmp_path / "bk", alias=alias, media_root=media_root)
        assert result.counts == manifest["counts"]
        assert "审计链完整" in result.audit
        stored = Attachment.objects.using(alias).get()
        assert (media_root / stored.file.name).read_bytes() == Path(
            media / stored.file.name
        ).read_bytes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r32_restore_refuses_a_database_that_is_not_empty(
    county: County, media: Path, tmp_path: Path
) -> None:
    content(county)
    backup_create(out=tmp_path / "bk")
    with pytest.raises(CommandError, match="不是空库"):
        call_command("restore", str(tmp_path / "bk"))
    assert Item.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r32_a_corrupted_backup_is_refused_before_anything_is_restored(
    county: County, media: Path, tmp_path: Path
) -> None:
    content(county)
    backup_create(out=tmp_path / "bk")
    db_file = next(p for p in (tmp_path / "bk").iterdir() if p.name.startswith("db."))
    data = bytearray(db_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    db_file.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="摘要不符"):
        backup_verify(tmp_path / "bk")
    with scratch_database("bk_bad") as (alias, media_root):
        with pytest.raises(BackupError, match="摘要不符"):
            restore_into(src=tmp_path / "bk", alias=alias, media_root=media_root)
        assert connections[alias].introspection.table_names() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r32_a_changed_manifest_is_refused(county: County, media: Path, tmp_path: Path) -> None:
    backup_create(out=tmp_path / "bk")
    manifest = tmp_path / "bk" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"items_item": 0', '"items_item": 9'))
    with pytest.raises(BackupError, match="清单"):
        backup_verify(tmp_path / "bk")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r32_backup_taken_during_writes_restores_consistently(
    county: County, media: Path, tmp_path: Path
) -> None:
    """A writer thread keeps appending audited rows while the backup runs; the restored copy
    holds exactly the snapshot's rows and its audit chain verifies."""
    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory shared-cache test database locks whole tables; on a WAL file the "
            "crash harness takes this backup while its client writes (backup=ok)"
        )
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        try:
            while not stop.is_set():
                with transaction.atomic():
                    audit_record(actor=None, action="load.write")
                written[0] += 1
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(1000):  # at most 10 s for the writer to get going
            if written[0] >= 20:
                break
            threading.Event().wait(0.01)
        manifest = backup_create(out=tmp_path / "bk")
    finally:
        stop.set()
        thread.join()
    assert written[0] > manifest["counts"]["audit_auditrecord"] - 20 > 0
    with scratch_database("bk_live") as (alias, media_root):
        result = restore_into(src=tmp_path / "bk", alias=alias, media_root=media_root)
        assert result.counts == manifest["counts"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r33_restore_drill_writes_the_restore_record(
    county: County, media: Path, tmp_path: Path
) -> None:
    content(county)
    out = tmp_path / "records"
    call_command("restore_drill", "--records", str(out))
    (path,) = out.glob("restore-drill-*.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["title"] == "恢复测试记录"
    assert record["result"] == "passed"
    assert record["restored_counts"] == record["source_counts"]
    assert record["source_counts"]["items_item"] == 1
    assert record["duration_seconds"] >= record["restore_seconds"] > 0
    assert {"started_at", "finished_at", "host", "scratch_database", "backup_files"} <= set(record)
    assert "审计链完整" in record["restored_audit"]
    assert AuditRecord.objects.filter(action="ops.restore_drill", success=True).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r33_a_failing_drill_says_so_and_exits_non_zero(
    county: County, media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinbao.ops import backup

    def broken(**kwargs: object) -> None:
        raise BackupError("恢复后的行数与备份清单不符")

    monkeypatch.setattr(backup, "restore_into", broken)
    with pytest.raises(CommandError, match="恢复演练未通过"):
        call_command("restore_drill", "--records", str(tmp_path / "r"))
    (path,) = (tmp_path / "r").glob("*.json")
    assert json.loads(path.read_text())["result"] == "failed"
