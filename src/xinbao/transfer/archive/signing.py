"""The archive's signature: HMAC-SM3 over the manifest, with a transfer key the two
installations share.

The manifest lists every member with its SM3 digest and size, so a valid MAC of the manifest
vouches for the whole archive. The signature is the member ``manifest.sig``::

    {"algorithm": "HMAC-SM3", "key_id": "<16 hex>", "mac": "<64 hex>"}

``key_id`` names the key (the first 16 hex digits of SM3 over a fixed label and the key), so a
refusal can say "signed with another key" rather than "changed". Trust model (docs/deploy.md,
九): whoever holds the key can sign; the key is configured on both installations
(``XINBAO_TRANSFER_KEY``, at least 32 characters) or generated once into ``var/transfer_key`` and
copied to the receiving installation by the administrators, never inside an archive. An SM2
signature with a per-installation key pair would need no shared secret, but no SM2 library is in
the lock file (``cryptography`` does not offer SM2 signatures).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from xinbao.security.keys import local_secret
from xinbao.transfer.archive.format import ArchiveError

SIGNATURE = "manifest.sig"
ALGORITHM = "HMAC-SM3"
MIN_KEY_CHARS = 32


def transfer_key() -> bytes:
    """``XINBAO_TRANSFER_KEY``, else ``var/transfer_key`` (generated there when absent, 0600)."""
    path = Path(settings.VAR_DIR) / "transfer_key"
    configured = getattr(settings, "XINBAO_TRANSFER_KEY", "")
    text = local_secret("XINBAO_TRANSFER_KEY", path, lambda: secrets.token_urlsafe(48), configured)
    if len(text) < MIN_KEY_CHARS:
        raise ArchiveError(
            [
                _("归档传输密钥(XINBAO_TRANSFER_KEY)至少应有 %(count)d 个字符。")
                % {"count": MIN_KEY_CHARS}
            ]
        )
    return text.encode()


def key_id(key: bytes) -> str:
    return hashlib.new("sm3", b"xinbao-transfer-key|" + key).hexdigest()[:16]


def manifest_mac(manifest: bytes, key: bytes) -> str:
    return hmac.new(key, manifest, "sm3").hexdigest()


def sign(manifest: bytes, key: bytes | None = None) -> bytes:
    """The ``manifest.sig`` member for these manifest bytes."""
    key = key or transfer_key()
    signature = {"algorithm": ALGORITHM, "key_id": key_id(key), "mac": manifest_mac(manifest, key)}
    return json.dumps(signature, sort_keys=True).encode()


def verify(manifest: bytes, signature: bytes | None, key: bytes | None = None) -> None:
    """Raises ``ArchiveError`` unless ``signature`` is this installation's key's MAC of
    ``manifest``."""
    if signature is None:
        raise ArchiveError(
            [_("归档没有签名(manifest.sig):无法确认它来自可信的系统,未导入任何数据。")]
        )
    try:
        parsed = json.loads(signature)
    except ValueError:
        parsed = None
    if (
        not isinstance(parsed, dict)
        or parsed.get("algorithm") != ALGORITHM
        or not isinstance(parsed.get("mac"), str)
    ):
        raise ArchiveError([_("归档的签名无法识别(应为 HMAC-SM3),未导入任何数据。")])
    key = key or transfer_key()
    if parsed.get("key_id") != key_id(key):
        raise ArchiveError(
            [
                _(
                    "归档是用另一把传输密钥签名的(密钥标识 %(found)s,本系统为 %(ours)s):"
                    "两套系统须配置同一个 XINBAO_TRANSFER_KEY。未导入任何数据。"
                )
                % {"found": str(parsed.get("key_id"))[:32], "ours": key_id(key)}
            ]
        )
    if not hmac.compare_digest(parsed["mac"], manifest_mac(manifest, key)):
        raise ArchiveError([_("归档签名不符:清单在签名之后被改动过,归档不可信,未导入任何数据。")])
