"""Start an item from a Word file: the title and paragraphs of a .docx.

The title is the first non-empty paragraph styled as a title or heading; failing that, the first
non-empty paragraph when it is short (≤ 60 characters) and does not end like a sentence.
The body is every other non-empty paragraph, in document order, including those inside tables
(cell by cell, a merged cell once).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from xinbao.items.errors import InvalidInput
from xinbao.uploads import UploadRefused, check_zip

MAX_DOCX_BYTES = 10 * 1024 * 1024
# A .docx is a zip: a small file can unpack to gigabytes (a "zip bomb"). Real ones stay far below;
# the guard is xinbao.uploads.check_zip, the one for every zip-based upload.
MAX_DOCX_UNPACKED_BYTES = 100 * 1024 * 1024
TITLE_STYLES = ("title", "heading", "标题")
# The full-width marks are written as escapes: some editors fold them into their ASCII look-alikes.
SENTENCE_ENDS = ("\u3002", "\uff01", "\uff1f", "\uff1b", ".", "!", "?", ";")


@dataclass
class Extracted:
    title: str
    paragraphs: list[str]

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


def extract_docx(data: bytes) -> Extracted:
    from docx import Document

    if len(data) > MAX_DOCX_BYTES:
        raise InvalidInput(_("Word 文件不能超过 10 MB。"))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InvalidInput(_("这不是 .docx 格式的 Word 文件(旧版 .doc 请先另存为 .docx)。"))
    try:
        check_zip(data, max_unpacked=MAX_DOCX_UNPACKED_BYTES)
    except UploadRefused as refused:
        raise InvalidInput(str(refused)) from refused
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a damaged package
        raise InvalidInput(_("无法读取这个 Word 文件,文件可能已损坏。")) from exc
    texts = list(_texts(document, in_table=False))
    if not texts:
        raise InvalidInput(_("这个 Word 文件里没有文字。"))
    title_index = next(
        (i for i, (_t, style) in enumerate(texts) if style.startswith(TITLE_STYLES)), None
    )
    if title_index is None:
        first = texts[0][0]
        title_index = 0 if len(first) <= 60 and not first.endswith(SENTENCE_ENDS) else None
    if title_index is None:
        return Extracted(title="", paragraphs=[t for t, _s in texts])
    title = texts[title_index][0]
    paragraphs = [t for i, (t, _s) in enumerate(texts) if i != title_index]
    return Extracted(title=title[:200], paragraphs=paragraphs)


def unpacked_size(data: bytes) -> int:
    """The declared size of the zip's members once unpacked (``xinbao.uploads.check_zip`` is
    the guard; this is for messages and tests)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return 0


def _texts(container: Any, *, in_table: bool) -> Iterator[tuple[str, str]]:
    """``(text, lowercased style name)`` of each non-empty paragraph of a document or table
    cell, in document order. Paragraphs inside tables carry no style: a table is never the title.
    """
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            seen: set[Any] = set()  # a merged cell appears once per grid column or row it spans
            for row in block.rows:
                for cell in row.cells:
                    if cell._tc not in seen:
                        seen.add(cell._tc)
                        yield from _texts(cell, in_table=True)
            continue
        text = " ".join(block.text.split())
        if text:
            style = "" if in_table or block.style is None else (block.style.name or "").lower()
            yield text, style
