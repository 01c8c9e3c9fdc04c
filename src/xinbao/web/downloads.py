"""Downloads for the pages and the API alike: files built in memory (Word and PDF exports) and
stored files (attachments), which go out only after the caller's view has authorized them."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def content_disposition(filename: str) -> str:
    """``attachment`` with the (Chinese) file name RFC 6266/5987-encoded: never shown inline."""
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """An attachment download of bytes built in memory."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    return response


def stored_file_response(
    stored: FieldFile, filename: str, content_type: str
) -> HttpResponse | FileResponse:
    """An authorized download of a stored file.

    Behind nginx with ``XINBAO_ACCEL_REDIRECT_PREFIX`` set, the answer is an empty response with
    ``X-Accel-Redirect`` pointing into nginx's ``internal`` location, so the app server does not
    stream the bytes; otherwise the app streams the file itself. Must be called only after the
    view has checked that the user may have the file: the prefix is not reachable from outside.
    """
    prefix = settings.XINBAO_ACCEL_REDIRECT_PREFIX
    response: HttpResponse | FileResponse
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(stored.name or "")
    else:
        response = FileResponse(stored.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
