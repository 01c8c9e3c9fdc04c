"""PBKDF2 with HMAC-SM3 (GB/T 32905), the 国密 choice for stored passwords (R09).

OpenSSL provides SM3 here, so ``hashlib.pbkdf2_hmac("sm3", …)`` does the work. SM3 costs about
three times SHA-256 per round in this build, so the round count is lower than Django's PBKDF2-SHA256
default for a similar time per login.
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class PBKDF2SM3PasswordHasher(PBKDF2PasswordHasher):
    """Encodes as ``pbkdf2_sm3$<iterations>$<salt>$<base64 hash>``."""

    algorithm = "pbkdf2_sm3"
    iterations = 320_000

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        self._check_encode_args(password, salt)  # type: ignore[attr-defined]
        iterations = iterations or self.iterations
        derived = hashlib.pbkdf2_hmac(
            "sm3", password.encode("utf-8", "surrogatepass"), salt.encode(), iterations
        )
        encoded = base64.b64encode(derived).decode("ascii").strip()
        return f"{self.algorithm}${iterations}${salt}${encoded}"
