"""Start an item from a Word file: the title and paragraphs of a .docx.

The title is the first non-empty paragraph styled as a title or heading; failing that, the first
non-empty paragraph when it is short (≤ 60 characters) and does not end like a sentence.
The body is every other non-empty paragraph, in order, including those inside tables.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from xinbao.items.errors import InvalidInput

MAX_DOCX_BYTES = 10 * 1024 * 1024
TITLE_STYLES = ("title", "heading", "标题")
SENTENCE_ENDS = ("。", "!", "?", ".", "!", "?", ";", ";")


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
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a damaged package
        raise InvalidInput(_("无法读取这个 Word 文件,文件可能已损坏。")) from exc
    texts: list[tuple[str, str]] = []
    for paragraph in document.paragraphs:
        text = " ".join(paragraph.text.split())
        if text:
            texts.append((text, (paragraph.style.name or "").lower() if paragraph.style else ""))
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                text = " ".join(cell.text.split())
                if text:
                    texts.append((text, ""))
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
