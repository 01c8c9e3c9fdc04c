from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import County
from tests.factories import PASSWORD
from xinbao.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_user_who_must_change_password_reaches_only_the_password_page(county: County) -> None:
    user = county.officer_a
    user.must_change_password = True
    user.save()
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    for path in ("/", "/items/", "/items/new/", "/messages/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/password/"
    weak = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200
    assert "密码" in weak.content.decode()
    user.refresh_from_db()
    assert user.must_change_password
    strong = "Qingtian#Info2026"
    done = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password(strong)
    assert client.get("/items/").status_code == 200
    assert AuditRecord.objects.filter(action="user.password_change", actor=user).exists()
