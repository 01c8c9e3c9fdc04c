"""Attachments go into the department archive in chunks (``transfer.archive.export``): a file
larger than the chunk comes back byte for byte, a big one is never held in memory whole, and a
file that does not match its registered digest stops the export with a Chinese message."""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import County
from tests.factories import make_attachment, make_item
from tests.transfer.test_department_archive import empty_database
from xinbao.items.models import Attachment
from xinbao.transfer.archive import export
from xinbao.transfer.archive.export import department_export
from xinbao.transfer.archive.format import FILES_DIR, ArchiveError
from xinbao.transfer.archive.load import department_import
from xinbao.uploads import sm3_hex

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def attach(county: County, data: bytes, name: str = "会议录像.mp4") -> Attachment:
    item = make_item(officer=county.officer_a)
    attachment = make_attachment(item=item, data=data, name=name, content_type="video/mp4")
    attachment.sm3 = sm3_hex(data)
    attachment.save(update_fields=["sm3"])
    return attachment


def test_an_attachment_larger_than_the_chunk_round_trips_byte_identical(
    county: County, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "FILE_CHUNK", 64 * 1024)
    data = os.urandom(64 * 1024 * 5 + 123)  # five chunks and a bit, incompressible
    attach(county, data)
    small = make_attachment(item=make_item(officer=county.officer_a), data=b"no sm3 registered")
    path = media / "county.zip"
    result = department_export(department=county.dept, out=path)
    assert result.files == 2 and result.file_bytes == len(data) + len(b"no sm3 registered")
    with zipfile.ZipFile(path) as zf:
        assert zf.read(FILES_DIR + sm3_hex(data)) == data
    empty_database()
    department_import(path=path)
    imported = {a.original_name: a for a in Attachment.objects.all()}
    with imported["会议录像.mp4"].file.open("rb") as handle:
        assert handle.read() == data
    with imported[small.original_name].file.open("rb") as handle:
        assert handle.read() == b"no sm3 registered"


def test_a_big_attachment_is_not_held_in_memory_whole(county: County, media: Path) -> None:
    size = 30 * 2**20
    block = os.urandom(16 * 1024)  # repeats within deflate's window: compresses fast
    attach(county, block * (size // len(block)))
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = department_export(department=county.dept, out=media / "county.zip")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.file_bytes == size
    # Read whole, the file alone would take 30 MiB; streamed, a few 1 MiB chunks at most.
    assert peak < size // 5, f"peak {peak / 2**20:.1f} MiB while exporting a 30 MiB attachment"


def test_an_attachment_that_does_not_match_its_digest_stops_the_export(
    county: County, media: Path
) -> None:
    attachment = attach(county, b"A" * 300_000, name="总结.docx")
    Path(attachment.file.path).write_bytes(b"B" * 300_000)  # changed on disk after upload
    out = media / "county.zip"
    with pytest.raises(ArchiveError, match=r"附件“总结\.docx”与登记的 SM3 摘要不符"):
        department_export(department=county.dept, out=out)
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()


def test_a_missing_file_is_named_in_chinese(county: County, media: Path) -> None:
    attachment = attach(county, b"data")
    Path(attachment.file.path).unlink()
    with pytest.raises(ArchiveError, match="无法读取"):
        department_export(department=county.dept, out=media / "county.zip")
