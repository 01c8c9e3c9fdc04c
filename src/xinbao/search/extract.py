"""Text of attachments for the index: Word (.docx) files. PDF and images carry no text we read
(no PDF text library is installed; scanned images would need OCR)."""

from __future__ import annotations

import logging

from xinbao.items.attachments import DOCX_MIME
from xinbao.items.docx_extract import extract_docx
from xinbao.items.errors import ItemError
from xinbao.items.models import Attachment

log = logging.getLogger(__name__)

# What one attachment may add to an item's index entry: about thirty pages of text.
MAX_ATTACHMENT_CHARS = 20_000


def attachment_text(attachment: Attachment) -> str:
    """The text of a .docx attachment (title and paragraphs, tables included), else ``""``.
    A file python-docx cannot read is logged and indexed without text: the upload itself was
    accepted by ``items.attachments`` and stays usable."""
    if attachment.content_type != DOCX_MIME:
        return ""
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
        extracted = extract_docx(data)
    except (ItemError, OSError) as error:
        log.warning(
            "attachment %s of item %s: no text extracted (%s)",
            attachment.pk,
            attachment.item_id,
            error,
        )
        return ""
    return "\n".join([extracted.title, extracted.body]).strip()[:MAX_ATTACHMENT_CHARS]
