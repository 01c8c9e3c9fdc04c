"""R27: personal data encrypted at rest with SM4-GCM, keys outside the database, masked display."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import County
from xinbao.orgs.models import User
from xinbao.security import crypto
from xinbao.security.personal import mask, shown

KEY_V1 = "0123456789abcdeffedcba9876543210"
KEY_V2 = "00112233445566778899aabbccddeeff"


@pytest.fixture
def keys(settings: pytest.FixtureRequest) -> object:
    settings.XINBAO_FIELD_KEYS = f"v1={KEY_V1}"  # type: ignore[attr-defined]
    crypto.load_keys.cache_clear()
    yield settings
    crypto.load_keys.cache_clear()


def raw_phone(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM orgs_user WHERE id = %s", [user.pk])
        return str(cursor.fetchone()[0])


def test_r27_sm4_known_answer_gb_t_32907() -> None:
    key = bytes.fromhex(KEY_V1)
    assert crypto.sm4_ecb_block(key, key).hex() == "681edf34d206965e86b3e94f536e4246"


@hsettings(max_examples=60, deadline=None)
@given(st.text())
def test_r27_round_trip_any_text(text: str) -> None:
    crypto.load_keys.cache_clear()
    from django.conf import settings

    settings.XINBAO_FIELD_KEYS = f"v1={KEY_V1}"
    try:
        token = crypto.encrypt(text, context="orgs.user.phone")
        assert crypto.decrypt(token, context="orgs.user.phone") == text
    finally:
        settings.XINBAO_FIELD_KEYS = ""
        crypto.load_keys.cache_clear()


def test_r27_phone_column_holds_no_plaintext(county: County, keys: object) -> None:
    User.objects.filter(pk=county.officer_a.pk).update(phone="13812341234")
    stored = raw_phone(county.officer_a)
    assert stored.startswith("sm4gcm$v1$") and "1234" not in stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orgs_user WHERE phone LIKE %s", ["%1234%"])
        assert cursor.fetchone()[0] == 0
    assert User.objects.get(pk=county.officer_a.pk).phone == "13812341234"


def test_r27_tampered_ciphertext_or_wrong_column_fails(keys: object) -> None:
    token = crypto.encrypt("13812341234", context="orgs.user.phone")
    prefix, version, blob = token.split("$")
    flipped = blob[:-6] + ("A" if blob[-6] != "A" else "B") + blob[-5:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{prefix}${version}${flipped}", context="orgs.user.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="orgs.user.id_number")


def test_r27_key_rotation_keeps_old_rows_readable_and_reencrypt_migrates(
    county: County, keys: pytest.FixtureRequest
) -> None:
    county.officer_a.phone = "13812341234"
    county.officer_a.save(update_fields=["phone"])
    assert crypto.key_version(raw_phone(county.officer_a)) == "v1"
    keys.XINBAO_FIELD_KEYS = f"v2={KEY_V2},v1={KEY_V1}"  # type: ignore[attr-defined]
    crypto.load_keys.cache_clear()
    assert User.objects.get(pk=county.officer_a.pk).phone == "13812341234"
    call_command("reencrypt_fields")
    assert crypto.key_version(raw_phone(county.officer_a)) == "v2"
    keys.XINBAO_FIELD_KEYS = f"v2={KEY_V2}"  # type: ignore[attr-defined]
    crypto.load_keys.cache_clear()
    assert User.objects.get(pk=county.officer_a.pk).phone == "13812341234"


def test_r27_key_file_is_generated_outside_the_database_with_mode_0600(
    settings: pytest.FixtureRequest, tmp_path: object
) -> None:
    settings.XINBAO_FIELD_KEYS = ""  # type: ignore[attr-defined]
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    crypto.load_keys.cache_clear()
    try:
        version, keyring = crypto.load_keys()
    finally:
        crypto.load_keys.cache_clear()
    path = crypto.key_file()
    assert version == "v1" and len(keyring["v1"]) == 16
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_r27_masked_for_roles_without_need_to_know(county: County) -> None:
    assert mask("13812341234") == "138****1234"
    assert mask("330102199001011234") == "3301**********1234"
    assert shown("13812341234", county.editor) == "138****1234"
    assert shown("13812341234", county.sysadmin) == "13812341234"
