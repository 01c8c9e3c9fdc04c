"""Checks every uploaded file passes, whichever page or command takes it (SECURITY.md R21–R24).

- ``check_zip``: the one zip-bomb guard for every zip-based upload (.docx attachments and Word
  starts, the .xlsx unit import). It reads only the central directory: too many members, a
  declared unpacked total over the cap, or a member compressed more than ``MAX_ZIP_RATIO`` times
  is refused at once, before anything is decompressed. ``zipfile`` never yields more than a
  member's declared size, so the declared sizes bound the work.
- ``content_type``: what the bytes are, by libmagic (python-magic), with zip packages told apart
  by their parts (``word/document.xml`` → .docx, ``xl/workbook.xml`` → .xlsx).
- ``sm3_hex``: the digest stored at upload and checked at download and by ``xinbao scrub``.
- ``scan_for_malware``: the configured virus scanner (``XINBAO_VIRUS_SCANNER``, a dotted path).
  The default ``NoScanner`` accepts everything; ``ClamdScanner`` asks ClamAV's clamd over its
  Unix socket (``XINBAO_CLAMD_SOCKET``). A configured scanner that cannot answer fails closed:
  the upload is refused.
"""

from __future__ import annotations

import hashlib
import io
import logging
import socket
import struct
import zipfile
from typing import Protocol

import magic
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
log = logging.getLogger(__name__)
ZIP_MIMES = frozenset({"application/zip", "application/x-zip-compressed", DOCX_MIME, XLSX_MIME})
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_RATIO = 200  # real Office parts compress about 5–20×; zeros compress ~1000×


class UploadRefused(Exception):
    """The file is refused; ``str(error)`` is the Chinese message for the user."""


class ScannerUnavailable(Exception):
    """The configured virus scanner could not give an answer."""


def check_zip(data: bytes, *, max_unpacked: int | None = None) -> zipfile.ZipFile:
    """The archive, if it is a zip that is safe to unpack; else ``UploadRefused``."""
    limit = max_unpacked if max_unpacked is not None else settings.XINBAO_ZIP_MAX_UNPACKED_BYTES
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UploadRefused(_("文件已损坏,无法读取。")) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise UploadRefused(_("文件内部结构异常(压缩包成员过多),已拒绝。"))
    total = 0
    for info in members:
        total += info.file_size
        if total > limit:
            raise UploadRefused(_("文件解压后过大,疑似压缩炸弹,已拒绝。"))
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise UploadRefused(_("文件压缩比异常,疑似压缩炸弹,已拒绝。"))
    return archive


def content_type(data: bytes) -> str:
    """The MIME type of the bytes by content (libmagic); zip packages by their parts."""
    mime = str(magic.from_buffer(data[: 64 * 1024], mime=True))
    if mime in ZIP_MIMES or data[:4] == b"PK\x03\x04":
        names = set(check_zip(data).namelist())
        if "word/document.xml" in names:
            return DOCX_MIME
        if "xl/workbook.xml" in names:
            return XLSX_MIME
        return "application/zip"
    return mime


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


class Scanner(Protocol):
    def scan(self, data: bytes) -> str | None:
        """The name of the malware found, ``None`` when clean; ``ScannerUnavailable`` when no
        answer can be had."""


class NoScanner:
    """No virus scanner configured (the default): every file passes."""

    def scan(self, data: bytes) -> str | None:
        return None


class ClamdScanner:
    """ClamAV's clamd over its Unix socket (``INSTREAM``)."""

    CHUNK = 64 * 1024

    def __init__(self, path: str | None = None, timeout: float = 30.0) -> None:
        self.path = path or settings.XINBAO_CLAMD_SOCKET
        self.timeout = timeout

    def scan(self, data: bytes) -> str | None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(self.timeout)
                conn.connect(self.path)
                conn.sendall(b"zINSTREAM\0")
                for start in range(0, len(data), self.CHUNK):
                    chunk = data[start : start + self.CHUNK]
                    conn.sendall(struct.pack(">I", len(chunk)) + chunk)
                conn.sendall(struct.pack(">I", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    part = conn.recv(4096)
                    if not part:
                        break
                    reply += part
        except OSError as exc:
            raise ScannerUnavailable(f"clamd at {self.path}: {exc}") from exc
        answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
        if answer.endswith("OK"):
            return None
        if answer.endswith("FOUND"):
            return answer.removeprefix("stream:").removesuffix("FOUND").strip()
        raise ScannerUnavailable(f"clamd at {self.path} answered {answer!r}")


def scanner() -> Scanner:
    scanner_class = import_string(settings.XINBAO_VIRUS_SCANNER)
    return scanner_class()


def scan_for_malware(data: bytes) -> str | None:
    """The configured scanner's verdict: the malware's name or ``None``. Fails closed: a scanner
    that cannot answer refuses the upload."""
    try:
        return scanner().scan(data)
    except ScannerUnavailable as exc:
        log.error("virus scanner unavailable, upload refused: %s", exc)
        raise UploadRefused(_("病毒查杀服务暂不可用,为安全起见暂不接收文件,请稍后再试。")) from exc
