"""Attachments: checked by content, stored under random names, verified on the way out.

Allowed: Word (.docx), PDF and common images (JPG, PNG, GIF, WebP), each with its own extension.
An upload is refused, with a message saying why and nothing stored, when it is over the size
limit, when the item already has the most files allowed, when libmagic finds it is not one of
these or not what its extension says (an HTML or SVG file named .pdf), when a .docx is a zip
bomb, or when the virus scanner finds malware or cannot answer (fail closed). Refusals for
malware and an unavailable scanner are audited. The SM3 digest taken here is checked at every
download (``attachment_bytes``) and by ``xinbao scrub``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Sum
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items import permissions
from xinbao.items.errors import InvalidInput, ItemError, NotAllowed
from xinbao.items.models import Attachment, Item
from xinbao.uploads import (
    DOCX_MIME,
    UploadRefused,
    check_zip,
    content_type,
    scan_for_malware,
    sm3_hex,
)
from xinbao.web.downloads import accel_response, file_response

if TYPE_CHECKING:
    from xinbao.orgs.models import User

log = logging.getLogger(__name__)

ALLOWED = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    DOCX_MIME: ".docx",
}
EXTENSIONS = {**{ext: mime for mime, ext in ALLOWED.items()}, ".jpeg": "image/jpeg"}


class IntegrityViolation(ItemError):
    """A stored file no longer matches the digest taken at upload."""

    status = 409


def sniff(data: bytes) -> str | None:
    """The MIME type the bytes really are, if it is one we accept."""
    try:
        mime = content_type(data)
    except UploadRefused:
        return None
    return mime if mime in ALLOWED else None


def safe_name(raw: str) -> str:
    """Only the last part of the client's name, whichever separator it used ("../a.pdf",
    "C:\\b.pdf"), without control characters; kept as metadata, never as a path."""
    name = PurePath((raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name.strip(" .")[:150] or "附件"


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    mime: str
    name: str
    sha256: str
    sm3: str


def check_upload(upload: UploadedFile, *, actor: User, obj: models.Model | None) -> CheckedUpload:
    """The upload's bytes if it is an allowed, clean type within the size limit, with a safe
    file name; ``InvalidInput`` with the reason otherwise (malware and an unavailable scanner
    are audited against ``obj``). Shared by every upload of documents (item attachments,
    training materials)."""
    limit = settings.XINBAO_MAX_ATTACHMENT_BYTES
    if upload.size is None or upload.size > limit:
        raise InvalidInput(_("附件不能超过 %(size)s。") % {"size": filesizeformat(limit)})
    quota = settings.XINBAO_UPLOAD_QUOTA_BYTES
    used = Attachment.objects.filter(uploaded_by=actor).aggregate(total=Sum("size"))["total"] or 0
    if quota and used + upload.size > quota:
        message = _("您上传的附件总量已达上限 %(quota)s,请联系管理员。")
        raise InvalidInput(message % {"quota": filesizeformat(quota)})
    name = safe_name(upload.name or "")
    extension = PurePath(name).suffix.lower()
    if extension not in EXTENSIONS:
        raise InvalidInput(_("只能上传 Word(.docx)、PDF 或图片(JPG、PNG、GIF、WebP)文件。"))
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(_("附件不能超过 %(size)s。") % {"size": filesizeformat(limit)})
    # Scanned before anything else reads the content, so malware is refused and audited as such
    # whatever it claims to be.
    check_malware(obj=obj, actor=actor, data=data, name=name)
    try:
        mime = content_type(data)
    except UploadRefused as refused:
        raise InvalidInput(str(refused)) from refused
    if mime not in ALLOWED:
        raise InvalidInput(_("只能上传 Word(.docx)、PDF 或图片(JPG、PNG、GIF、WebP)文件。"))
    if EXTENSIONS[extension] != mime:
        raise InvalidInput(_("文件扩展名“%(ext)s”与文件实际内容不符,已拒绝。") % {"ext": extension})
    if mime == DOCX_MIME:
        try:
            check_zip(data)
        except UploadRefused as refused:
            raise InvalidInput(str(refused)) from refused
    return CheckedUpload(
        data=data, mime=mime, name=name, sha256=hashlib.sha256(data).hexdigest(), sm3=sm3_hex(data)
    )


def attachment_add(*, item: Item, actor: User, upload: UploadedFile) -> Attachment:
    if not permissions.can_edit(actor, item):
        raise NotAllowed(_("当前状态下您不能为这条信息添加附件。"))
    most = settings.XINBAO_MAX_ATTACHMENTS_PER_ITEM
    if item.attachments.count() >= most:
        raise InvalidInput(_("每条信息最多上传 %(n)d 个附件。") % {"n": most})
    checked = check_upload(upload, actor=actor, obj=item)
    with transaction.atomic():
        attachment = Attachment(
            item=item,
            original_name=checked.name,
            content_type=checked.mime,
            size=len(checked.data),
            sha256=checked.sha256,
            sm3=checked.sm3,
            uploaded_by=actor,
        )
        attachment.file.save(checked.name, ContentFile(checked.data), save=False)
        attachment.save()
        from xinbao.items.services import do_secrecy_refresh, lock_item

        do_secrecy_refresh(lock_item(item.pk))
        audit_record(
            actor=actor,
            action="item.attachment_add",
            obj=item,
            changes={
                "attachment": checked.name,
                "sha256": checked.sha256,
                "sm3": checked.sm3,
                "size": len(checked.data),
            },
        )
    return attachment


def check_malware(*, obj: models.Model | None, actor: User, data: bytes, name: str) -> None:
    """Refuse (and audit) a file the virus scanner flags or cannot vouch for."""
    try:
        found = scan_for_malware(data)
    except UploadRefused as refused:
        audit_record(
            actor=actor,
            action="upload.scanner_unavailable",
            obj=obj,
            changes={"attachment": name},
            success=False,
        )
        raise InvalidInput(str(refused)) from refused
    if found:
        log.warning("malware %s in upload %r for %r refused", found, name, obj)
        audit_record(
            actor=actor,
            action="upload.malware",
            obj=obj,
            changes={"attachment": name, "signature": found},
            success=False,
        )
        raise InvalidInput(_("文件未通过病毒查杀(%(name)s),已拒绝接收。") % {"name": found})


def stored_digest_ok(attachment: Attachment, data: bytes) -> bool:
    """Whether ``data`` is what was uploaded: the SM3 digest, or SHA-256 for files stored before
    SM3 digests were taken."""
    if attachment.sm3:
        return sm3_hex(data) == attachment.sm3
    return hashlib.sha256(data).hexdigest() == attachment.sha256


def attachment_bytes(*, attachment: Attachment, actor: User) -> bytes:
    """The stored file, verified against its digest. A missing or altered file is refused with
    a Chinese message and an ``integrity.violation`` audit record (kept: it is written outside
    any transaction the caller might roll back)."""
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        data = None
    if data is not None and stored_digest_ok(attachment, data):
        return data
    log.error("attachment %s of item %s: integrity check failed", attachment.pk, attachment.item_id)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="integrity.violation",
            obj=attachment,
            changes={"item": attachment.item_id, "missing": data is None},
            success=False,
        )
    raise IntegrityViolation(
        _("附件“%(name)s”的存储文件已损坏或被改动(完整性校验未通过),不能下载,请联系系统管理员。")
        % {"name": attachment.original_name}
    )


def attachment_response(*, attachment: Attachment, actor: User) -> HttpResponse:
    """The download of a verified attachment, always as a file to save (never rendered inline),
    with its type fixed from the allow-list; caller has checked the actor may see the item.

    Behind nginx (``XINBAO_ACCEL_REDIRECT_PREFIX``) the verified file is sent by nginx from its
    ``internal`` location (``X-Accel-Redirect``): the app server reads it once to check its
    digest (R24) and does not stream it; otherwise the app sends the bytes it verified."""
    data = attachment_bytes(attachment=attachment, actor=actor)
    mime = attachment.content_type
    if mime not in ALLOWED:
        mime = "application/octet-stream"
    if settings.XINBAO_ACCEL_REDIRECT_PREFIX:
        return accel_response(attachment.file, attachment.original_name, mime)
    return file_response(data, attachment.original_name, mime)
