"""Downloads for the pages and the API alike: files built in memory (Word and PDF exports, verified
attachments) and stored files, which go out only after the caller's view has authorized them."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def content_disposition(filename: str) -> str:
    """``attachment`` (never shown inline) with an ASCII fallback name and the real (Chinese)
    name RFC 6266/5987-encoded."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def safe_download_headers(response: HttpResponse | FileResponse, filename: str) -> None:
    response["Content-Disposition"] = content_disposition(filename)
    # Never sniffed into something else, never run as a page (R22).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """An attachment download of bytes held in memory."""
    response = HttpResponse(data, content_type=content_type)
    safe_download_headers(response, filename)
    return response


def stored_file_response(
    stored: FieldFile, filename: str, content_type: str
) -> HttpResponse | FileResponse:
    """An authorized download of a stored file that needs no check of its bytes on the way out.

    Behind nginx with ``XINBAO_ACCEL_REDIRECT_PREFIX`` set, the answer is an empty response with
    ``X-Accel-Redirect`` pointing into nginx's ``internal`` location, so the app server does not
    stream the bytes; otherwise the app streams the file itself. Must be called only after the
    view has checked that the user may have the file: the prefix is not reachable from outside.
    """
    if settings.XINBAO_ACCEL_REDIRECT_PREFIX:
        return accel_response(stored, filename, content_type)
    response = FileResponse(stored.open("rb"), content_type=content_type)
    safe_download_headers(response, filename)
    return response


def accel_response(stored: FieldFile, filename: str, content_type: str) -> HttpResponse:
    """An empty answer telling nginx to send ``stored`` from its ``internal`` location under
    ``XINBAO_ACCEL_REDIRECT_PREFIX`` (set: the caller checks), after the view authorized it."""
    response = HttpResponse(content_type=content_type)
    prefix = settings.XINBAO_ACCEL_REDIRECT_PREFIX.rstrip("/")
    response["X-Accel-Redirect"] = prefix + "/" + quote(stored.name or "")
    safe_download_headers(response, filename)
    return response
