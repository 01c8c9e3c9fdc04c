"""Attachments: the type is sniffed from the content, never trusted from the name or the browser.

Allowed: Word (.docx), PDF and common images. Everything else, and anything over the size limit,
is refused with a message saying why.
"""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO
from pathlib import PurePath
from typing import TYPE_CHECKING

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items import permissions
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Attachment, Item

if TYPE_CHECKING:
    from xinbao.orgs.models import User

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ALLOWED = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    DOCX_MIME: ".docx",
}


def sniff(data: bytes) -> str | None:
    """The MIME type the bytes really are, if it is one we accept."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        return DOCX_MIME if "word/document.xml" in names else None
    kind = filetype.guess(data)
    if kind is not None and kind.mime in ALLOWED:
        return str(kind.mime)
    return None


def read_upload(upload: UploadedFile) -> tuple[bytes, str, str]:
    """The upload's bytes, sniffed type and a safe file name; refuses (``InvalidInput``) what
    is too large or not an allowed type. Also used for notices' attachments (notify)."""
    limit = settings.XINBAO_MAX_ATTACHMENT_BYTES
    if upload.size is None or upload.size > limit:
        raise InvalidInput(_("附件不能超过 %(size)s。") % {"size": filesizeformat(limit)})
    data = upload.read()
    mime = sniff(data)
    if mime is None:
        raise InvalidInput(_("只能上传 Word(.docx)、PDF 或图片(JPG、PNG、GIF、WebP)文件。"))
    # Only the last part of the name, whichever separator the client used ("../a.pdf", "C:\\b.pdf").
    name = PurePath((upload.name or "").replace("\\", "/")).name[:150] or "附件"
    if not name.lower().endswith(ALLOWED[mime]):
        name = f"{PurePath(name).stem}{ALLOWED[mime]}"
    return data, mime, name


def attachment_add(*, item: Item, actor: User, upload: UploadedFile) -> Attachment:
    if not permissions.can_edit(actor, item):
        raise NotAllowed(_("当前状态下您不能为这条信息添加附件。"))
    data, mime, name = read_upload(upload)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        attachment = Attachment(
            item=item,
            original_name=name,
            content_type=mime,
            size=len(data),
            sha256=digest,
            uploaded_by=actor,
        )
        attachment.file.save(digest, ContentFile(data), save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="item.attachment_add",
            obj=item,
            changes={"attachment": name, "sha256": digest, "size": len(data)},
        )
    return attachment
