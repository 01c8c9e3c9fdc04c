"""Builders for test data. Each returns saved objects; defaults make a small valid county."""

from __future__ import annotations

import hashlib
import io
import itertools
import struct
import zlib
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from xinbao.items.models import Attachment, Category, Item, State
from xinbao.items.services import ItemData, item_create
from xinbao.orgs.models import Role, Unit, User
from xinbao.orgs.services import unit_save
from xinbao.search.index import scope_sync

PASSWORD = "Xinbao@2026-test"
_seq = itertools.count(1)


def make_unit(
    *,
    name: str | None = None,
    kind: str = Unit.Kind.TOWNSHIP,
    parent: Unit | None = None,
    code: str | None = None,
    **fields: Any,
) -> Unit:
    n = next(_seq)
    if kind == Unit.Kind.ORG_DEPT:
        fields.setdefault("level", Unit.Level.COUNTY)
    unit = Unit(
        code=code or f"U{n:05d}", name=name or f"测试单位{n}", kind=kind, parent=parent, **fields
    )
    return unit_save(unit=unit, actor=None)


def make_user(
    *, role: str, unit: Unit | None = None, username: str | None = None, **fields: Any
) -> User:
    n = next(_seq)
    if role == Role.OFFICER:
        fields.setdefault("officer_rank", User.OfficerRank.PRIMARY)
    user = User(
        username=username or f"user{n}",
        role=role,
        unit=unit,
        full_name=fields.pop("full_name", f"测试{n}"),
        must_change_password=False,
        **fields,
    )
    user.set_password(PASSWORD)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def category(name: str = "动态") -> Category:
    return Category.objects.get(name=name)


def make_item(
    *, officer: User, title: str = "某镇创新党员教育方式", body: str | None = None, **fields: Any
) -> Item:
    data = ItemData(
        title=title,
        body=body or "今年以来,某镇坚持把党员教育作为基层组织建设的基础工程。\n一是创新方式。",
        category=fields.pop("category", None) or category(),
        **fields,
    )
    return item_create(actor=officer, data=data)


def put_in_state(item: Item, state: str, **fields: Any) -> Item:
    """Force ``item`` into ``state``, skipping the workflow (whose every move is covered by
    ``tests/items/test_workflow.py``). States past the unit get a submission time."""
    if state not in (State.DRAFT, State.PENDING_SIGNOFF):
        fields.setdefault("submitted_at", timezone.now())
    Item.objects.filter(pk=item.pk).update(state=state, **fields)
    item.refresh_from_db()
    scope_sync(item)  # what the signals do after a workflow move (update() sends none)
    return item


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid, tiny grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def docx_bytes(*paragraphs: str | tuple[str, str]) -> bytes:
    """A .docx with the given paragraphs; a ``(text, style)`` pair sets the paragraph style."""
    from docx import Document

    document = Document()
    for paragraph in paragraphs:
        text, style = paragraph if isinstance(paragraph, tuple) else (paragraph, None)
        document.add_paragraph(text, style=style)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_attachment(
    *,
    item: Item,
    data: bytes | None = None,
    name: str = "照片.png",
    content_type: str = "image/png",
) -> Attachment:
    """An attachment stored directly (upload checks are tested in ``test_attachments.py``)."""
    data = data if data is not None else png_bytes()
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        item=item,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=item.created_by,
    )
    attachment.file.save(digest, ContentFile(data), save=False)
    attachment.save()
    return attachment
