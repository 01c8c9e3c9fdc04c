"""R25 headers and CSP without 'unsafe-inline' (templates hold no inline script or style);
R26 generic Chinese error pages with an incident id."""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.conftest import County
from xinbao.security import middleware
from xinbao.security.matrix import get_matrix

SRC = Path(__file__).resolve().parents[2] / "src" / "xinbao"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=|<style", re.IGNORECASE)


def test_r25_no_template_has_inline_script_style_or_event_handler() -> None:
    found = []
    for template in SRC.glob("*/templates/**/*.html"):
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            for match in INLINE.finditer(line):
                if 'type="application/json"' in line:
                    continue
                found.append(f"{template.relative_to(SRC)}:{number}: {match.group(0)}")
    assert not found, "Inline script/style (CSP forbids it):\n" + "\n".join(found)


def test_r25_headers_csp_without_unsafe_inline(county: County) -> None:
    response = Client().get("/login/")
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_r25_hsts_for_a_year_under_production_settings(
    county: County, settings: pytest.FixtureRequest
) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000  # type: ignore[attr-defined]
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # type: ignore[attr-defined]
    response = Client().get("/login/", secure=True)
    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_r25_csrf_failure_page_is_chinese_and_generic(county: County) -> None:
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "事件编号" in text and "CSRF" not in text and "Referer" not in text


def get_failing_view(view_name: str, path: str) -> HttpResponse:
    """The response to ``path`` (a test-only view of ``error_urls`` that raises), opened to
    anonymous users for this request only; DEBUG must be off (the ``settings`` fixture)."""
    narrowed = dataclasses.replace(
        get_matrix(), public_views=get_matrix().public_views | {view_name}
    )
    client = Client(raise_request_exception=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(middleware, "get_matrix", lambda: narrowed)
        return client.get(path)


@pytest.mark.urls("tests.security.error_urls")
def test_r26_a_database_error_is_logged_with_the_drivers_own_code(
    county: County, settings: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    caplog.set_level(logging.ERROR, logger="xinbao.errors")
    response = get_failing_view("test_database_fails", "/test-only/database-fails/")
    assert response.status_code == 500
    assert "SQLITE_ERROR" not in response.content.decode()
    logged = [r.getMessage() for r in caplog.records if r.name == "xinbao.errors"]
    assert any(message.endswith("(database: SQLITE_ERROR)") for message in logged), logged


@pytest.mark.urls("tests.security.error_urls")
def test_r26_server_error_page_shows_incident_id_and_logs_it_with_the_exception(
    county: County, settings: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    caplog.set_level(logging.ERROR, logger="xinbao.errors")
    response = get_failing_view("test_explode", "/test-only/explode/")
    assert response.status_code == 500
    body = response.content.decode()
    incident = re.search(r"<code>([0-9A-F]{12})</code>", body)
    assert incident, body
    assert "系统出错" in body
    for leak in ("Traceback", "SELECT", "/srv/", "RuntimeError", "SECRET_KEY", "settings"):
        assert leak not in body
    logged = [r for r in caplog.records if r.name == "xinbao.errors"]
    assert any(incident.group(1) in r.getMessage() and r.exc_info for r in logged)


def test_r26_not_found_and_denied_pages_are_chinese_with_an_incident_id(
    county: County, settings: pytest.FixtureRequest
) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    client = Client()
    client.force_login(county.officer_a)
    for path in ("/no-such-page/", "/audit/"):  # unknown; and a page the role may not open
        response = client.get(path)
        assert response.status_code == 404
        body = response.content.decode()
        assert "页面不存在" in body and re.search(r"<code>[0-9A-F]{12}</code>", body)
