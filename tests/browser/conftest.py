"""Real-browser fixtures: Debian's Chromium, driven by Playwright, against pytest-django's live
server (a real HTTP server on a free port, sharing the in-memory SQLite test database).

Chromium comes from the distribution (``make browser``), never from ``playwright install``. When
``/usr/bin/chromium`` is missing the journeys are skipped with the reason, except under CI (``CI``
set), where a missing browser is a failure: CI must not pass by silently skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    ViewportSize,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 860}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser journeys run last (after pytest-django's own ordering): from the first one on,
    Playwright's event loop runs in the test thread, which would trip any later test that starts
    a loop of its own (``asyncio.run``, ``async_to_sync``)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium (make browser)"
        if in_ci():
            pytest.fail(f"{reason}; CI must run the browser journeys, not skip them", pytrace=False)
        pytest.skip(reason)
    # Once Playwright's sync API starts, an asyncio event loop runs in the test thread, and Django
    # takes the thread for an async one. Two consequences are undone here, for as long as the
    # browser runs (the journeys run last, see above):
    # - Django refuses ORM calls from such a thread; the test thread never awaits, so the check
    #   guards nothing here. (Set only now: a subprocess a test starts must not inherit it.)
    # - Django keeps such a thread's connections in a separate per-context store; without the
    #   hand-over below the tests would get fresh connection objects lacking the test database's
    #   state (such as the contents saved for serialized rollback).
    wrappers = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, wrapper in wrappers.items():
            connections[alias] = wrapper
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


PageFactory = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[PageFactory]:
    """Opens a page in a fresh browser context (its own cookies: one person at one desk).

    Every page fails the test on a JavaScript error or on a static file that did not load.
    """
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def open_page(viewport: ViewportSize = DESKTOP) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("response", check_static)
        return page

    def check_static(response: Response) -> None:
        if "/static/" in response.url and response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    return new_page()
