"""Sealed backups (R32): one SM4-GCM encrypted file made from a verified backup directory, for the
copy that leaves the machine (异地备份), and opened back into a directory before ``restore``.

File layout: ``MAGIC``, one JSON header line (algorithm, chunk size, key id = first 16 hex of the
key's SM3), a 4-byte random nonce prefix, then chunks of the tar stream of the backup directory,
each ``length (4 bytes) ‖ ciphertext ‖ tag (16)``. Chunk *i* is sealed under the nonce
``prefix ‖ i`` with the header's SHA-256, *i* and a last-chunk flag as associated data, so a
changed, reordered, dropped or appended chunk, a truncated file or another key is refused.

The key is ``XINBAO_BACKUP_KEY`` (32 hex digits) or ``var/backup_key`` (generated once, mode
0600). It is never inside a backup: keep it apart, like the audit and field keys.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.db import transaction

from xinbao.audit.chain import file_digests
from xinbao.audit.services import audit_record
from xinbao.ops.backup import BackupError, backup_verify
from xinbao.security.keys import local_secret

MAGIC = b"XINBAO-SEALED-BACKUP 1\n"
CHUNK = 1 << 20
TAG = 16
PREFIX = 4


def backup_key() -> bytes:
    path = Path(settings.VAR_DIR) / "backup_key"
    configured = getattr(settings, "XINBAO_BACKUP_KEY", "")
    text = local_secret("XINBAO_BACKUP_KEY", path, lambda: secrets.token_hex(16), configured)
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != 16:
        raise BackupError("备份密钥应为 32 位十六进制数(XINBAO_BACKUP_KEY)。")
    return key


def key_id(key: bytes) -> str:
    return hashlib.new("sm3", key).hexdigest()[:16]


def _aad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(8, "big")


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_seal(*, src: Path, out: Path, actor: Any = None) -> dict[str, Any]:
    """Verify the backup in ``src``, then write it sealed to ``out`` (which must not exist)."""
    src, out = Path(src), Path(out)
    manifest = backup_verify(src)  # a damaged backup is not sealed
    if out.exists():
        raise BackupError(f"{out} 已存在,不覆盖。")
    key = backup_key()
    header = (
        MAGIC
        + json.dumps(
            {"alg": "SM4-GCM", "chunk": CHUNK, "key_id": key_id(key), "format": 1}
        ).encode()
        + b"\n"
    )
    digest = hashlib.sha256(header).digest()
    prefix = secrets.token_bytes(PREFIX)
    with tempfile.TemporaryFile() as plain:
        with tarfile.open(fileobj=plain, mode="w") as tar:
            for path in sorted(src.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(src)), recursive=False)
        size = plain.tell()
        plain.seek(0)
        partial = out.with_name(out.name + ".partial")
        with partial.open("wb") as sealed:
            sealed.write(header + prefix)
            index, done = 0, 0
            while True:
                chunk = plain.read(CHUNK)
                done += len(chunk)
                last = done >= size
                encryptor = Cipher(
                    algorithms.SM4(key), modes.GCM(_nonce(prefix, index))
                ).encryptor()
                encryptor.authenticate_additional_data(_aad(digest, index, last))
                body = encryptor.update(chunk) + encryptor.finalize()
                sealed.write(len(body).to_bytes(4, "big") + body + encryptor.tag)
                index += 1
                if last:
                    break
            sealed.flush()
            os.fsync(sealed.fileno())
    partial.replace(out)
    _fsync_path(out.parent)
    result = {
        "file": str(out),
        "bytes": out.stat().st_size,
        "sm3": file_digests(out)["sm3"],
        "key_id": key_id(key),
        "chunks": index,
        "audit_head": manifest["audit_head"],
    }
    with transaction.atomic():
        audit_record(actor=actor, action="ops.backup_seal", changes=result)
    return result


def _read_exact(handle: IO[bytes], n: int) -> bytes:
    data = handle.read(n)
    if len(data) != n:
        raise BackupError("加密备份文件不完整(被截断)。")
    return data


def backup_unseal(*, src: Path, out: Path, actor: Any = None) -> dict[str, Any]:
    """Open the sealed file ``src`` into ``out`` (absent or empty) and verify the backup there.
    Nothing is left in ``out`` unless every chunk authenticated and the manifest verified."""
    src, out = Path(src), Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} 不是空目录。")
    key = backup_key()
    with io.BufferedReader(io.FileIO(src, "rb"), buffer_size=CHUNK) as sealed:
        if sealed.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{src} 不是信报的加密备份。")
        line = sealed.readline()
        header = MAGIC + line
        try:
            meta = json.loads(line)
        except ValueError as exc:
            raise BackupError("加密备份的文件头已损坏。") from exc
        if meta.get("key_id") != key_id(key):
            raise BackupError("备份密钥不对:这份备份不是用当前密钥加密的。")
        digest = hashlib.sha256(header).digest()
        prefix = _read_exact(sealed, PREFIX)
        with tempfile.TemporaryFile() as plain:
            index, last = 0, False
            while not last:
                length = int.from_bytes(_read_exact(sealed, 4), "big")
                if length > int(meta.get("chunk", CHUNK)):
                    raise BackupError("加密备份已损坏(分块长度不对)。")
                body = _read_exact(sealed, length)
                tag = _read_exact(sealed, TAG)
                last = sealed.peek(1)[:1] == b""  # the file ends here
                decryptor = Cipher(
                    algorithms.SM4(key), modes.GCM(_nonce(prefix, index), tag)
                ).decryptor()
                decryptor.authenticate_additional_data(_aad(digest, index, last))
                try:
                    plain.write(decryptor.update(body) + decryptor.finalize())
                except InvalidTag as exc:
                    raise BackupError(
                        f"加密备份第 {index + 1} 块校验失败:文件已损坏、被改动或被截断。"
                    ) from exc
                index += 1
            plain.seek(0)
            out.parent.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=".unseal-", dir=out.parent))
            try:
                with tarfile.open(fileobj=plain, mode="r") as tar:
                    tar.extractall(work, filter="data")
                manifest = backup_verify(work)
                out.mkdir(parents=True, exist_ok=True)
                for entry in work.iterdir():
                    shutil.move(str(entry), out / entry.name)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    result = {
        "file": str(src),
        "out": str(out),
        "chunks": index,
        "audit_head": manifest["audit_head"],
    }
    with transaction.atomic():
        audit_record(actor=actor, action="ops.backup_unseal", changes=result)
    return result
