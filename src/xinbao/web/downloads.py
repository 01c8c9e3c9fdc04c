"""File downloads built in memory (Word and PDF exports), for the pages and the API alike."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """An attachment download; the (Chinese) file name is sent RFC 6266/5987-encoded."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
