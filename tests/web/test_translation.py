"""The Traditional Chinese interface: complete, and used for users who chose it."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import County
from tests.factories import PASSWORD
from xinbao.web import translation
from xinbao.web.translation import to_traditional


def test_traditional_catalog_covers_every_interface_string() -> None:
    """Fails when a string was added to the code or templates without regenerating the
    catalog (``xinbao hant_catalog``)."""
    call_command("hant_catalog", "--check")


def test_conversion_is_character_level() -> None:
    assert to_traditional("审核后报送组织部门") == "審核後報送組織部門"


@pytest.mark.django_db
def test_user_who_chose_traditional_sees_traditional_pages(county: County) -> None:
    client = Client()
    assert client.login(username=county.editor.username, password=PASSWORD)
    simplified = client.get("/inbox/").content.decode()
    assert "收件箱" in simplified
    response = client.post("/account/language/", {"language": "zh-hant", "next": "/inbox/"})
    assert response.status_code == 302
    county.editor.refresh_from_db()
    assert county.editor.language == "zh-hant"
    traditional = client.get("/inbox/")
    assert traditional.headers["Content-Language"] == "zh-hant"
    page = traditional.content.decode()
    assert "報送時間" in page
    assert "报送时间" not in page


def test_catalog_check_finds_a_new_string_and_leaves_the_real_catalog_alone(
    tmp_path: Path,
) -> None:
    from xinbao.web import translation

    before = translation.po_path(translation.LOCALE_ROOT).read_bytes()
    sources = tmp_path / "src"
    shutil.copytree(
        translation.SOURCE_ROOT, sources, ignore=shutil.ignore_patterns("__pycache__", "static")
    )
    probe = sources / "web" / "templates" / "web" / "_probe.html"
    probe.write_text('{% load i18n %}{% translate "只在测试里出现的新词条" %}', encoding="utf-8")
    catalog = translation.extract(tmp_path / "locale", source_root=sources)
    assert translation.missing(catalog) == ["只在测试里出现的新词条"]
    assert translation.po_path(translation.LOCALE_ROOT).read_bytes() == before


def test_fill_converts_new_and_changed_entries_and_keeps_hand_edits() -> None:
    catalog = polib.POFile()
    new = polib.POEntry(msgid="新的词条")
    changed = polib.POEntry(
        msgid="修改后的说明", msgstr="舊的說明", flags=["fuzzy"], previous_msgid="旧的说明"
    )
    hand_made = polib.POEntry(msgid="信息", msgstr="資訊")  # a translator's choice, kept
    for entry in (new, changed, hand_made):
        catalog.append(entry)
    assert translation.fill(catalog) == 2
    assert (new.msgstr, changed.msgstr, hand_made.msgstr) == ("新的詞條", "修改後的說明", "資訊")
    assert not changed.fuzzy and changed.previous_msgid is None
    assert translation.fill(catalog) == 0  # a second run changes nothing


def test_error_page_titles_are_in_the_traditional_catalog() -> None:
    """The error pages' titles are kept in a table (``web.errors.TITLES``): each is marked for
    the catalog, so a 繁體 user's 404 or 410 page has a Traditional title."""
    from django.utils import translation as django_translation

    from xinbao.web.errors import TITLES

    with django_translation.override("zh-hant"):
        titles = {status: django_translation.gettext(title) for status, title in TITLES.items()}
    assert titles[404] == "頁面不存在"
    assert titles[410] == "文件已刪除"
    assert all(titles[status] == to_traditional(TITLES[status]) for status in TITLES)
