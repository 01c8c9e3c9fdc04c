"""File downloads built in memory (Word and PDF exports), for the pages and the API alike."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """An attachment download; the (Chinese) file name is sent RFC 6266/5987-encoded."""
    response = HttpResponse(data, content_type=content_type)
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    # Never sniffed into something else, never run as a page (R22).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
