"""Tokens: issued for a username and password, stored hashed, expiring, revocable by their
owner; refused for inactive accounts; the API answers JSON 401 (never a login redirect)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from tests.api.conftest import BASE, ApiClient
from tests.conftest import County
from tests.factories import PASSWORD
from xinbao.api.models import ApiToken
from xinbao.api.services import token_digest
from xinbao.audit.models import AuditRecord
from xinbao.orgs.models import User

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]


def sign_in(username: str, password: str = PASSWORD, **extra: str) -> tuple[int, dict]:
    response = ApiClient(None).post(
        "/auth/token", {"username": username, "password": password, **extra}
    )
    return response.status_code, response.json()


def test_token_for_good_credentials_is_shown_once_and_stored_hashed(county: County) -> None:
    status, body = sign_in(county.officer_a.username, name="网站同步")
    assert status == 200
    secret = body["token"]
    assert secret.startswith("xb_") and len(secret) > 40
    assert body["token_type"] == "Bearer"
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "网站同步"
    assert token.digest == token_digest(secret)
    assert secret.startswith(token.prefix) and len(token.prefix) < 16
    stored = [
        str(v)
        for v in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.fields]).get()
    ]
    assert all(secret not in value for value in stored)
    assert all(secret not in str(r.changes) for r in AuditRecord.objects.all())
    created = AuditRecord.objects.get(action="api.token_create")
    assert created.actor == county.officer_a and created.changes["prefix"] == token.prefix


def test_token_expires_after_the_configured_days(county: County, settings: Settings) -> None:
    settings.XINBAO_API_TOKEN_DAYS = 7
    _status, body = sign_in(county.officer_a.username)
    token = ApiToken.objects.get(pk=body["id"])
    assert abs(
        (token.expires_at - timezone.now()) - datetime.timedelta(days=7)
    ) < datetime.timedelta(minutes=1)
    assert body["expires_in"] == 7 * 24 * 3600


def test_wrong_password_and_unknown_user_get_the_same_chinese_401(county: County) -> None:
    wrong = sign_in(county.officer_a.username, "wrong-password")
    unknown = sign_in("nobody-here", "wrong-password")
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1] == {"detail": "用户名或密码错误。"}
    failures = AuditRecord.objects.filter(action="auth.login_failed")
    assert {r.changes["username"] for r in failures} == {county.officer_a.username, "nobody-here"}
    assert {r.changes["channel"] for r in failures} == {"api"}
    assert not ApiToken.objects.exists()


def test_inactive_account_gets_no_token_and_its_tokens_stop_working(
    county: County, api: Api
) -> None:
    client = api(county.officer_a)
    assert client.get("/items").status_code == 200
    User.objects.filter(pk=county.officer_a.pk).update(is_active=False)
    assert client.get("/items").status_code == 401
    assert sign_in(county.officer_a.username) == (401, {"detail": "用户名或密码错误。"})


def test_account_that_must_change_its_password_gets_no_token(county: County) -> None:
    User.objects.filter(pk=county.officer_a.pk).update(must_change_password=True)
    status, body = sign_in(county.officer_a.username)
    assert status == 403 and "修改" in body["detail"]


def test_token_stops_working_when_an_administrator_resets_the_password(
    county: County, api: Api
) -> None:
    client = api(county.officer_a)
    User.objects.filter(pk=county.officer_a.pk).update(must_change_password=True)
    response = client.get("/items")
    assert response.status_code == 403
    assert response.json()["detail"] == "请先登录网页修改密码,再使用接口。"


def test_token_request_validation_error_is_chinese_json(county: County) -> None:
    response = ApiClient(None).post("/auth/token", {"username": "x"})
    assert response.status_code == 422
    assert response.json()["detail"] == "请求数据有误:password:缺少此项。"
    response = ApiClient(None).post("/auth/token", {"username": "x", "password": "y", "extra": 1})
    assert response.status_code == 422 and "extra:不是可接受的字段" in response.json()["detail"]


def test_expired_token_is_refused(county: County, api: Api) -> None:
    client = api(county.officer_a)
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/items")
    assert response.status_code == 401
    assert "令牌" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_owner_lists_and_revokes_tokens_and_a_revoked_token_stops_working(
    county: County, api: Api
) -> None:
    first, second = api(county.officer_a), api(county.officer_a)
    api(county.officer_b)
    listed = first.get("/auth/tokens").json()
    assert len(listed) == 2 and all(t["active"] for t in listed)
    assert all("token" not in t and "digest" not in t for t in listed)
    token_id = ApiToken.objects.get(digest=token_digest(second.token or "")).pk
    assert first.delete(f"/auth/tokens/{token_id}").status_code == 204
    assert second.get("/items").status_code == 401
    assert first.get("/items").status_code == 200
    assert [t["active"] for t in first.get("/auth/tokens").json() if t["id"] == token_id] == [False]
    revoked = AuditRecord.objects.get(action="api.token_revoke")
    assert revoked.actor == county.officer_a and revoked.object_id == str(token_id)
    again = first.delete(f"/auth/tokens/{token_id}")
    assert again.status_code == 409 and again.json()["detail"] == "这个令牌已经撤销。"


def test_another_users_token_cannot_be_revoked(county: County, api: Api) -> None:
    api(county.officer_b)
    other = ApiToken.objects.get(user=county.officer_b)
    response = api(county.officer_a).delete(f"/auth/tokens/{other.pk}")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_use_is_recorded_on_the_token(county: County, api: Api) -> None:
    client = api(county.officer_a)
    assert ApiToken.objects.get().last_used_at is None
    client.get("/me")
    assert ApiToken.objects.get().last_used_at is not None


def test_me_tells_who_the_token_belongs_to(county: County, api: Api) -> None:
    body = api(county.editor).get("/me").json()
    assert body["username"] == county.editor.username
    assert body["role"] == "editor" and body["unit"]["id"] == county.dept.pk


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer xb_not-a-token", "Basic abc", "Bearer " + "x" * 500]
)
def test_requests_without_a_valid_token_get_json_401_not_a_login_redirect(
    county: County, header: str
) -> None:
    response = Client().get(f"{BASE}/items", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith("请提供有效的访问令牌")


def test_a_signed_in_browser_session_is_not_api_authentication(county: County) -> None:
    client = Client()
    assert client.login(username=county.officer_a.username, password=PASSWORD)
    assert client.get(f"{BASE}/items").status_code == 401


def test_token_endpoint_needs_no_csrf_token(county: County) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{BASE}/auth/token",
        {"username": county.officer_a.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_rate_limit_per_token(county: County, api: Api, settings: Settings) -> None:
    settings.XINBAO_API_RATE_PER_MINUTE = 3
    client, other = api(county.officer_a), api(county.officer_a)
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get("/me")
    assert limited.status_code == 429
    assert limited.json()["detail"] == "请求过于频繁,请稍后再试。"
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert other.get("/me").status_code == 200


def test_sign_in_attempts_are_limited(county: County, settings: Settings) -> None:
    settings.XINBAO_API_LOGIN_RATE_PER_MINUTE = 2
    assert sign_in(county.officer_a.username, "wrong")[0] == 401
    assert sign_in(county.officer_a.username, "wrong")[0] == 401
    status, body = sign_in(county.officer_a.username)
    assert status == 429 and "登录尝试过于频繁" in body["detail"]
    assert sign_in(county.officer_b.username)[0] == 200


def test_messages_follow_the_users_script(county: County, api: Api) -> None:
    User.objects.filter(pk=county.officer_a.pk).update(language="zh-hant")
    response = api(county.officer_a).get("/items/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到,或您無權查看。"


def test_openapi_document_is_public_and_docs_are_behind_the_login(db: None) -> None:
    document = Client().get(f"{BASE}/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {"/api/v1/auth/token", "/api/v1/items", "/api/v1/items/{item_id}/transitions"} <= set(
        paths
    )
    assert document.json()["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    docs = Client().get(f"{BASE}/docs")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")


def test_unknown_api_path_is_a_json_404(county: County, api: Api) -> None:
    response = api(county.officer_a).get("/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "没有这个接口。"}


def test_docs_page_serves_its_scripts_locally_to_a_signed_in_user(county: County) -> None:
    client = Client()
    assert client.login(username=county.editor.username, password=PASSWORD)
    page = client.get(f"{BASE}/docs")
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page.content.decode()


def test_oversized_body_is_a_chinese_400(county: County, api: Api, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(county.officer_a).post(
        "/items", {"title": "大", "body": "长" * 2000, "category": "动态"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容过大。"}


def test_r08_a_user_with_a_device_gets_a_token_only_with_a_current_code(county: County) -> None:
    from tests.security.test_otp import code, device_for

    user = county.editor
    device = device_for(user)
    missing = sign_in(user.username)
    assert missing[0] == 401 and "动态口令" in missing[1]["detail"]
    assert not ApiToken.objects.exists()
    status, body = sign_in(user.username, otp=code(device))
    assert status == 200 and body["token"].startswith("xb_")
    wrong = sign_in(user.username, otp="000000" if code(device) != "000000" else "111111")
    assert wrong == missing
    assert ApiToken.objects.count() == 1
    failures = AuditRecord.objects.filter(action="auth.login_failed")
    assert [r.changes["channel"] for r in failures] == ["api-otp", "api-otp"]


def test_r08_a_required_role_without_a_device_gets_no_token(
    county: County, settings: Settings
) -> None:
    settings.XINBAO_OTP_REQUIRED = True
    status, body = sign_in(county.editor.username)
    assert status == 403 and "绑定动态口令" in body["detail"]
    assert sign_in(county.officer_a.username)[0] == 200  # officers need no second factor


def test_r08_a_device_change_or_a_new_password_ends_the_tokens_issued_before(
    county: County, api: Api
) -> None:
    from tests.security.test_otp import device_for

    before_device = api(county.officer_a)
    assert before_device.get("/me").status_code == 200
    device = device_for(county.officer_a)  # enrolment raises the epoch
    assert before_device.get("/me").status_code == 401
    after_device = api(User.objects.get(pk=county.officer_a.pk))
    assert after_device.get("/me").status_code == 200
    device.delete()  # the lost device reset
    assert after_device.get("/me").status_code == 401
    fresh = api(User.objects.get(pk=county.officer_a.pk))
    user = User.objects.get(pk=county.officer_a.pk)
    user.set_password("Another@Pass2026x")
    user.save()
    assert fresh.get("/me").status_code == 401
