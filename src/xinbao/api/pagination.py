"""Cursor pagination, newest first, by primary key.

The cursor is an opaque string (URL-safe base64 of the last id returned). Walking the pages with
``next_cursor`` visits each row once even while rows are added (new rows get higher ids and sort
before the walk's position); a page is one indexed range query, however deep the walk.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from xinbao.items.errors import InvalidInput

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 100


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError(cursor)
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["id"]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
            raise ValueError(cursor)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeEncodeError):
        raise InvalidInput(_("分页游标无效,请从第一页重新开始。")) from None
    return value


def page_by_id(qs: QuerySet[M], cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """One page of ``qs`` in descending id order after ``cursor``, and the next page's cursor."""
    if cursor:
        qs = qs.filter(pk__lt=decode_cursor(cursor))
    return cut(list(qs.order_by("-pk")[: limit + 1]), limit)


def cut(rows: list[M], limit: int) -> tuple[list[M], str | None]:
    """A page from ``limit + 1`` rows read in descending id order (the extra row says whether
    there is a next page), and the next page's cursor."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].pk)
