"""R32: the off-site copy of a backup is encrypted with SM4 (GCM, chunked) and authenticated:
opened only with the right key, refused when changed, reordered or truncated, and it restores."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.ops.test_backup import content
from xinbao.audit.models import AuditRecord
from xinbao.items.models import Attachment
from xinbao.ops import seal
from xinbao.ops.backup import BackupError, backup_create, restore_into, scratch_database

KEY = "00112233445566778899aabbccddeeff"


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.XINBAO_BACKUP_KEY = KEY
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seal, "CHUNK", 4096)  # many chunks from a small backup


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r32_sealed_backup_is_sm4_encrypted_and_opens_and_restores(
    county: County, media: Path, tmp_path: Path, small_chunks: None
) -> None:
    item = content(county)
    backup_create(out=tmp_path / "bk")
    sealed = tmp_path / "bk.sealed"
    call_command("backup_seal", str(tmp_path / "bk"), "--out", str(sealed))
    raw = sealed.read_bytes()
    assert raw.startswith(seal.MAGIC) and b'"alg": "SM4-GCM"' in raw
    # no plaintext: neither the item's title nor the manifest's table names nor the PNG header
    for plain in (item.title.encode(), b"items_item", b"manifest", b"\x89PNG"):
        assert plain not in raw
    opened = tmp_path / "opened"
    call_command("backup_unseal", str(sealed), "--out", str(opened))
    assert {p.name for p in opened.iterdir()} == {p.name for p in (tmp_path / "bk").iterdir()}
    with scratch_database("seal_test") as (alias, media_root):
        result = restore_into(src=opened, alias=alias, media_root=media_root)
        assert result.counts["items_item"] == 1
        assert Attachment.objects.using(alias).count() == 1
    assert AuditRecord.objects.filter(action="ops.backup_seal").count() == 1
    assert AuditRecord.objects.filter(action="ops.backup_unseal").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r32_a_changed_truncated_or_wrongly_keyed_sealed_backup_is_refused(
    county: County, media: Path, tmp_path: Path, settings: Settings, small_chunks: None
) -> None:
    content(county)
    backup_create(out=tmp_path / "bk")
    sealed = tmp_path / "bk.sealed"
    seal.backup_seal(src=tmp_path / "bk", out=sealed)
    raw = sealed.read_bytes()
    header = raw.index(b"\n", len(seal.MAGIC)) + 1 + seal.PREFIX
    chunk = 4 + 4096 + seal.TAG
    assert len(raw) > header + 3 * chunk  # several chunks to tamper with
    flipped = bytearray(raw)
    flipped[header + chunk + 100] ^= 0x01
    swapped = raw[:header] + raw[header + chunk : header + 2 * chunk] + raw[header : header + chunk]
    swapped += raw[header + 2 * chunk :]
    damaged = {
        "flipped": bytes(flipped),
        "truncated": raw[: header + 2 * chunk],  # whole chunks dropped from the end
        "appended": raw + raw[header : header + chunk],
        "reordered": swapped,
    }
    for name, data in damaged.items():
        path = tmp_path / f"{name}.sealed"
        path.write_bytes(data)
        out = tmp_path / f"out-{name}"
        with pytest.raises(BackupError):
            seal.backup_unseal(src=path, out=out)
        assert not out.exists() or not any(out.iterdir()), name  # nothing left behind
    settings.XINBAO_BACKUP_KEY = "ff" * 16
    with pytest.raises(CommandError, match="备份密钥不对"):
        call_command("backup_unseal", str(sealed), "--out", str(tmp_path / "wrong-key"))
    with pytest.raises(CommandError, match="已存在"):
        call_command("backup_seal", str(tmp_path / "bk"), "--out", str(sealed))
