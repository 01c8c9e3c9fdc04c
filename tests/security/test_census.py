"""R10 deny by default and R25 CSRF on every state-changing request: one walk over every URL
pattern of the root URLconf (see ``census.py``), the allow-list read from the role matrix."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import Client

from tests.conftest import County
from tests.factories import make_item
from tests.security.census import Route, all_routes
from xinbao.security import middleware
from xinbao.security.matrix import get_matrix

# What an anonymous request may get for a page outside the allow-list: the login page, or, from
# the API (token auth, xinbao.api.auth), 401; 404/405 where the API has no such route or method.
API_DENIALS = {401, 404, 405}
# The admin's own views send anonymous visitors to its login page, which sends them on to ours.
LOGIN_PAGES = ("/login/", "/admin/login/")


def filler(county: County) -> object:
    item = make_item(officer=county.officer_a)

    def fill(name: str) -> str:
        if name in ("app_label",):
            return "orgs"
        if name in ("model_name",):
            return "user"
        return str(item.pk) if name in ("pk", "item_id", "object_id") else "1"

    return fill


def public(route: Route) -> bool:
    return get_matrix().is_public(route.name)


def test_r10_anonymous_requests_reach_only_the_public_allow_list(county: County) -> None:
    fill = filler(county)
    client = Client()
    reached: list[str] = []
    routes = all_routes()
    assert len(routes) > 60  # the walk found the whole URLconf, admin and API included
    for route in routes:
        if public(route):
            continue
        path = route.path(fill)  # type: ignore[arg-type]
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            status = response.status_code
            if route.name.startswith("api:") and status in API_DENIALS:
                continue
            if status == 302 and response["Location"].startswith(LOGIN_PAGES):
                continue
            reached.append(f"{method.upper()} {path} ({route.name or 'unnamed'}) -> {status}")
    assert not reached, (
        "Reachable without signing in but not on the public allow-list ([public] in "
        "src/xinbao/security/role_matrix.toml):\n" + "\n".join(reached)
    )


def test_r10_public_allow_list_pages_open_anonymously(county: County) -> None:
    client = Client()
    for path in ("/login/", "/column/", "/column/feed.atom"):
        assert client.get(path).status_code == 200, path


def test_r10_login_not_required_alone_does_not_make_a_view_public(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view that forgot the matrix but set login_not_required is still refused."""
    narrowed = dataclasses.replace(get_matrix(), public_views=frozenset({"login"}))
    monkeypatch.setattr(middleware, "get_matrix", lambda: narrowed)
    assert Client().get("/column/").status_code == 302


def test_r25_post_without_csrf_token_is_refused_on_every_url(county: County) -> None:
    fill = filler(county)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(county.editor)
    anonymous = Client(enforce_csrf_checks=True)
    accepted: list[str] = []
    checked = 0
    for route in all_routes():
        if get_matrix().is_delegated(route.name):
            continue  # the API takes bearer tokens, never cookies: nothing to forge
        path = route.path(fill)  # type: ignore[arg-type]
        for client in (signed_in, anonymous):
            checked += 1
            response = client.post(path, {"title": "x"})
            if response.status_code != 403:
                accepted.append(f"POST {path} ({route.name}) -> {response.status_code}")
    assert checked > 100
    assert not accepted, "POST without a CSRF token was not refused:\n" + "\n".join(accepted)
