"""SM4-GCM (GB/T 32907 block cipher, authenticated mode) for personal data at rest (R27).

Ciphertext text form: ``sm4gcm$<key version>$<base64(nonce ‖ ciphertext ‖ tag)>``. The nonce is
12 random bytes per value; the associated data names the column (``orgs.user.phone``), so a
value copied into another column does not decrypt. Keys never live in the database or the
repository: ``XINBAO_FIELD_KEYS`` (``v2=<32 hex>,v1=<32 hex>``, the first is current) or, when
unset, ``var/field_keys`` generated once with mode 0600. Old versions stay readable after a
rotation; ``xinbao reencrypt_fields`` rewrites rows under the current key.
"""

from __future__ import annotations

import base64
import secrets
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from xinbao.security.keys import local_secret

PREFIX = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    """The value was altered, or its key is not configured."""


def sm4_ecb_block(key: bytes, block: bytes) -> bytes:
    """One raw SM4 block, for the known-answer test of the library."""
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - KAT only
    return encryptor.update(block) + encryptor.finalize()


def parse_keys(text: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    current = ""
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        version, _sep, hexkey = part.strip().partition("=")
        key = bytes.fromhex(hexkey.strip())
        if len(key) != 16:
            raise ImproperlyConfigured("XINBAO_FIELD_KEYS: each SM4 key is 32 hex digits")
        keys[version.strip()] = key
        current = current or version.strip()
    if not keys:
        raise ImproperlyConfigured("XINBAO_FIELD_KEYS holds no key")
    return current, keys


def key_file() -> Path:
    return Path(settings.VAR_DIR) / "field_keys"


@cache
def load_keys() -> tuple[str, dict[str, bytes]]:
    configured = getattr(settings, "XINBAO_FIELD_KEYS", "")
    text = local_secret(
        "XINBAO_FIELD_KEYS", key_file(), lambda: f"v1={secrets.token_hex(16)}", configured
    )
    return parse_keys(text)


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX + "$")


def encrypt(plaintext: str, *, context: str) -> str:
    version, keys = load_keys()
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(keys[version]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    blob = base64.b64encode(nonce + body + encryptor.tag).decode("ascii")
    return f"{PREFIX}${version}${blob}"


def decrypt(token: str, *, context: str) -> str:
    try:
        prefix, version, blob = token.split("$", 2)
        raw = base64.b64decode(blob, validate=True)
    except ValueError as error:
        raise DecryptionError("not an SM4 field value") from error
    if prefix != PREFIX or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("not an SM4 field value")
    key = load_keys()[1].get(version)
    if key is None:
        raise DecryptionError(f"no key for version {version!r}")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except InvalidTag as error:
        raise DecryptionError("SM4-GCM tag mismatch: the stored value was altered") from error


def key_version(token: str) -> str:
    return token.split("$", 2)[1] if is_encrypted(token) else ""
