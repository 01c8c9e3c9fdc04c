"""R01–R03 and R09: identities, password rules, expiry and history, SM3 hashing."""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from tests.conftest import County
from tests.factories import PASSWORD, make_user
from tests.security.conftest import web_login
from xinbao.orgs.models import Role, User
from xinbao.security.hashers import PBKDF2SM3PasswordHasher
from xinbao.security.models import PasswordHistory
from xinbao.security.validators import character_classes

pytestmark = pytest.mark.django_db

SM3 = ["xinbao.security.hashers.PBKDF2SM3PasswordHasher"]


# R01 ------------------------------------------------------------------------------------------


def test_r01_usernames_are_unique_ignoring_case(county: County) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username=county.officer_a.username.upper(), role=Role.OFFICER)


def test_r01_no_account_has_an_empty_or_unusable_password_unless_disabled(county: County) -> None:
    for user in User.objects.all():
        assert user.password and (user.has_usable_password() or not user.is_active)
    with pytest.raises(ValidationError):
        validate_password("", county.officer_a)


def named_paths() -> list[str]:
    """Every named URL that takes no arguments, namespaces included."""
    found: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                with contextlib.suppress(NoReverseMatch):
                    found.add(reverse(namespace + entry.name))

    walk(get_resolver().url_patterns, "")
    return sorted(p for p in found if not p.startswith("/api/"))


def test_r01_first_login_reaches_only_the_password_page_on_every_url(county: County) -> None:
    user = county.officer_a
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client = Client()
    assert web_login(client, user.username).status_code == 302  # type: ignore[attr-defined]
    paths = named_paths()
    assert "/items/" in paths and "/account/sessions/" in paths
    for path in paths:
        if path.startswith(("/account/password/", "/logout/", "/static/")):
            continue
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/password/", path


def test_r01_api_gives_no_token_before_the_first_change(county: County) -> None:
    User.objects.filter(pk=county.officer_a.pk).update(must_change_password=True)
    response = Client().post(
        "/api/v1/auth/token",
        {"username": county.officer_a.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_r01_no_default_administrator_keeps_the_demo_password(county: County) -> None:
    for name in ("admin", "root", "administrator"):
        for user in User.objects.filter(username__iexact=name):
            assert not user.check_password("Xinbao@2026") or user.must_change_password


# R02 ------------------------------------------------------------------------------------------


def test_r02_validators_are_configured() -> None:
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    for wanted in (
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "UserAttributeSimilarityValidator",
        "NumericPasswordValidator",
        "ComplexityValidator",
        "PasswordHistoryValidator",
    ):
        assert wanted in names
    length = next(v for v in settings.AUTH_PASSWORD_VALIDATORS if "MinimumLength" in v["NAME"])
    assert length["OPTIONS"]["min_length"] >= 12


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Short#1a", False),  # too short
        ("alllowercaseletters", False),  # one class
        ("lowercase123456", False),  # two classes
        ("123456789012345", False),  # digits only
        ("Password1234", False),  # common list (case-folded) — also weak
        ("Qingtian#Info2026", True),
        ("qingtian#info2026", True),  # lower, digit, symbol
        ("青田县组工信息报送Ab1", True),  # CJK counts as letters of no case → other
    ],
)
def test_r02_password_rules(password: str, ok: bool) -> None:
    user = User(username="zhangsan", full_name="张三")
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user)


def test_r02_password_like_the_username_is_refused_in_chinese() -> None:
    user = User(username="wangxiaoming2026", full_name="王小明")
    with pytest.raises(ValidationError) as caught:
        validate_password("Wangxiaoming2026", user)
    assert any("用户名" in m or "相似" in m for m in caught.value.messages)
    with pytest.raises(ValidationError) as caught:
        validate_password("abcdefghijklmnop")
    assert any("至少 3 类" in m for m in caught.value.messages)


@hsettings(max_examples=60, deadline=None)
@given(st.text(min_size=12, max_size=40))
def test_r02_complexity_rule_is_exactly_three_of_four_classes(text: str) -> None:
    from xinbao.security.validators import ComplexityValidator

    try:
        ComplexityValidator(3).validate(text)
        passed = True
    except ValidationError:
        passed = False
    assert passed == (character_classes(text) >= 3)


@pytest.mark.parametrize("password", ["Aa1#" * 16, "组工信息🙂报送Aa1#长密码测试", "Aa1#" * 32])
def test_r02_long_and_chinese_passwords_round_trip_without_truncation(
    password: str, settings: Settings
) -> None:
    settings.PASSWORD_HASHERS = SM3
    encoded = make_password(password)
    assert check_password(password, encoded)
    assert not check_password(password[:-1], encoded)


# R03 ------------------------------------------------------------------------------------------


def test_r03_expired_password_forces_a_change(county: County, settings: Settings) -> None:
    user = county.officer_a
    assert user.password_changed_at is not None  # stamped by set_password + save
    settings.XINBAO_PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=90, seconds=1)
    )
    client = Client()
    assert web_login(client, user.username).status_code == 302  # type: ignore[attr-defined]
    response = client.get("/items/")
    assert response.headers["Location"] == "/account/password/"
    user.refresh_from_db()
    assert user.must_change_password
    token = Client().post(
        "/api/v1/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 403


def test_r03_not_yet_expired_and_unknown_dates_are_not_forced(county: County) -> None:
    user = county.officer_a
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=89)
    )
    client = Client()
    web_login(client, user.username)
    assert client.get("/items/").status_code == 200
    User.objects.filter(pk=user.pk).update(password_changed_at=None)  # demo accounts: unknown
    assert client.get("/items/").status_code == 200


def test_r03_last_five_passwords_cannot_be_reused_and_history_holds_hashes(
    county: County,
) -> None:
    user = county.officer_a
    used = [f"Qingtian#Info20{n:02d}" for n in range(6)]
    for password in used:
        validate_password(password, user)
        user.set_password(password)
        user.save()
    rows = list(PasswordHistory.objects.filter(user=user))
    assert len(rows) == 5
    assert all(row.password.startswith("md5$") for row in rows)
    assert not any(p in row.password for row in rows for p in used)
    for password in used[1:]:  # the current one and the four before it, plus the fifth back
        with pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        assert "最近 5 次" in caught.value.messages[0]
    validate_password(used[0], user)  # six changes ago: allowed again


def test_r03_password_change_page_refuses_a_recent_password(county: County) -> None:
    user = county.officer_a
    client = Client()
    web_login(client, user.username)
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "最近 5 次" in response.content.decode()


# R09 ------------------------------------------------------------------------------------------


def test_r09_sm3_known_answer() -> None:
    digest = hashlib.new("sm3", b"abc").hexdigest()
    assert digest == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_r09_sm3_hasher_format_salt_and_iterations(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = SM3
    first, second = make_password("Qingtian#Info2026"), make_password("Qingtian#Info2026")
    algorithm, iterations, salt, digest = first.split("$")
    assert algorithm == "pbkdf2_sm3"
    assert int(iterations) >= 300_000
    assert len(salt) >= 22  # Django's salt: 22 of 62 symbols ≥ 128 bits
    assert len(base64.b64decode(digest)) == 32
    assert first.split("$")[2] != second.split("$")[2]
    expected = hashlib.pbkdf2_hmac("sm3", b"Qingtian#Info2026", salt.encode(), int(iterations))
    assert base64.b64decode(digest) == expected
    assert check_password("Qingtian#Info2026", first)
    assert isinstance(identify_hasher(first), PBKDF2SM3PasswordHasher)


def test_r09_sm3_is_the_configured_first_hasher() -> None:
    from xinbao import settings as real

    assert real.PASSWORD_HASHERS[0] == "xinbao.security.hashers.PBKDF2SM3PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in real.PASSWORD_HASHERS


def test_r09_old_hash_is_upgraded_to_sm3_at_login(county: County, settings: Settings) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "xinbao.security.hashers.PBKDF2SM3PasswordHasher",
    ]
    user = make_user(role=Role.OFFICER, unit=county.town_a, username="old_hash")
    assert user.password.startswith("md5$")
    changed_at = user.password_changed_at
    settings.PASSWORD_HASHERS = [
        "xinbao.security.hashers.PBKDF2SM3PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    client = Client()
    assert web_login(client, user.username).status_code == 302  # type: ignore[attr-defined]
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sm3$")
    assert user.check_password(PASSWORD)
    assert user.password_changed_at == changed_at  # an upgrade is not a change
