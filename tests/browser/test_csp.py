"""R25 in a real browser: the main pages load under the strict Content-Security-Policy (no
'unsafe-inline') without a single violation, and the scripts moved out of the templates work."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import PageFactory
from tests.browser.test_journey import log_in
from tests.factories import make_item, make_unit, make_user
from xinbao.orgs.models import Role, Unit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

OFFICER_PAGES = [
    "/",
    "/items/",
    "/items/new/",
    "/topics/",
    "/messages/",
    "/account/",
    "/account/sessions/",
    "/scoring/mine/",
    "/search/?q=党建",
]
EDITOR_PAGES = [
    "/inbox/",
    "/publications/",
    "/key-work/",
    "/key-work/coverage/",
    "/topics/",
    "/topics/new/",
    "/scoring/ranking/",
    "/timeliness/",
    "/forwarded/",
]


def watched(page: Page, console: list[str]) -> Page:
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return page


def visit_all(page: Page, paths: list[str], console: list[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        found += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations")]
    return found + console


def test_r25_main_pages_raise_no_csp_violation(new_page: PageFactory) -> None:
    dept = make_unit(name="云溪县委组织部", kind=Unit.Kind.ORG_DEPT)
    town = make_unit(name="城关镇", parent=dept)
    officer = make_user(role=Role.OFFICER, unit=town, username="town01")
    make_user(role=Role.EDITOR, unit=dept, username="editor")
    item = make_item(officer=officer)
    console: list[str] = []

    anonymous = watched(new_page(), console)
    problems = visit_all(anonymous, ["/login/", "/column/"], console)

    page = watched(new_page(), console)
    log_in(page, "town01")
    problems += visit_all(
        page, [*OFFICER_PAGES, f"/items/{item.pk}/", f"/items/{item.pk}/edit/"], console
    )

    # the draft keeper (moved from an inline <script> to items/draft_keeper.js) still keeps text
    page.goto("/items/new/")
    page.locator("#id_title").fill("城关镇推行党员积分管理")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.reload()
    page.wait_for_load_state("load")
    assert dialogs and "尚未提交" in dialogs[0]

    editor = watched(new_page(), console)
    log_in(editor, "editor")
    problems += visit_all(editor, EDITOR_PAGES, console)
    assert not problems, "\n".join(problems)
