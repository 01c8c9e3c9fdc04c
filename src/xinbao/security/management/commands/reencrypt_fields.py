from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from xinbao.security import crypto
from xinbao.security.fields import EncryptedCharField


def reencrypt_all() -> int:
    """Rewrite every SM4 field value not under the current key (after a key rotation) or still
    in plain text. Returns how many values were rewritten."""
    current = crypto.load_keys()[0]
    done = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedCharField):
                continue
            table, column = model._meta.db_table, field.column
            pk = model._meta.pk.column
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                # identifiers from the model's own metadata, quoted; no values interpolated
                sql = f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} WHERE {qn(column)} <> ''"  # noqa: S608
                cursor.execute(sql)
                rows = cursor.fetchall()
            for row_pk, stored in rows:
                if crypto.key_version(stored) == current:
                    continue
                plain = (
                    crypto.decrypt(stored, context=field.context())
                    if crypto.is_encrypted(stored)
                    else stored
                )
                with transaction.atomic():
                    model._default_manager.filter(pk=row_pk).update(**{field.name: plain})
                done += 1
    return done


class Command(BaseCommand):
    help = "密钥轮换后,用当前 SM4 密钥重新加密所有加密字段。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"重新加密 {reencrypt_all()} 个字段值。")
