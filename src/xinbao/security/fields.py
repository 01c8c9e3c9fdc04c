"""``EncryptedCharField``: a text column holding SM4-GCM ciphertext (see ``crypto``), a plain
``str`` in Python. ``max_length`` limits the plain text (forms, imports); the column is
``text`` because ciphertext is longer. Lookups other than isnull/empty cannot match (each value
has its own nonce): never filter on it."""

from __future__ import annotations

from typing import Any

from django.db import models

from xinbao.security import crypto


class EncryptedCharField(models.CharField):
    description = "Text encrypted with SM4-GCM"

    def db_type(self, connection: Any) -> str:
        return "text"

    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "" or not crypto.is_encrypted(value):
            return value
        return crypto.decrypt(value, context=self.context())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "" or crypto.is_encrypted(str(value)):
            return value
        return crypto.encrypt(str(value), context=self.context())
