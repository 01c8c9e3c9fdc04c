"""The authentication backends: the signed-in user of each request comes with their unit."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY, get_user
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from tests.conftest import County
from tests.security.conftest import web_login
from xinbao.security.backends import UserBackend

pytestmark = pytest.mark.django_db


def test_signed_in_user_and_their_unit_are_one_query(county: County) -> None:
    client = Client()
    web_login(client, county.officer_a.username)
    request = RequestFactory().get("/items/")
    request.session = client.session
    assert request.session[SESSION_KEY] == str(county.officer_a.pk)
    with CaptureQueriesContext(connection) as queries:
        user = get_user(request)
        assert user.unit.name == county.town_a.name  # type: ignore[union-attr]
    assert len(queries) == 1


def test_user_backend_refuses_inactive_and_unknown_users(county: County) -> None:
    backend = UserBackend()
    assert backend.get_user(county.officer_a.pk) == county.officer_a
    county.officer_a.is_active = False
    county.officer_a.save(update_fields=["is_active"])
    assert backend.get_user(county.officer_a.pk) is None
    assert backend.get_user(10**9) is None
