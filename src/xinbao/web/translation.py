"""The Traditional Chinese catalog, derived from the Simplified source strings.

Every user-facing string is written in Simplified Chinese in the code and templates (the msgid
*is* the zh-hans text), so zh-hans needs no catalog. The zh-hant catalog is generated: Django's
``makemessages`` extracts the msgids, OpenCC (``s2tw``: Traditional characters in their
common Taiwan forms, with no vocabulary changes) converts them, polib writes the .po and the
compiled .mo. Only empty and fuzzy entries (new msgids, and msgids that changed, which
``makemessages`` marks fuzzy with the old text) are (re)converted; every other entry is kept as it
is, so a translator's hand edit stays. No marker tells the two kinds apart: ``makemessages``
drops extracted comments on each run, so an ``auto`` mark lasted one run and every regeneration
rewrote dozens of unrelated lines (and conflicted in every merge).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

HANT = "zh_Hant"
OLD_AUTO_MARK = "auto"  # written by earlier versions; removed as entries are seen
SOURCE_ROOT = Path(settings.BASE_DIR)
LOCALE_ROOT = SOURCE_ROOT / "locale"


@cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("s2tw")


def to_traditional(text: str) -> str:
    return str(_converter().convert(text))


def po_path(locale_root: Path) -> Path:
    return locale_root / HANT / "LC_MESSAGES" / "django.po"


def extract(locale_root: Path = LOCALE_ROOT, source_root: Path = SOURCE_ROOT) -> polib.POFile:
    """Extract the msgids of the source tree into ``locale_root`` (merging with the catalog
    already there) and return the catalog, not yet filled.

    makemessages writes next to the nearest ``locale`` folder above each file, so for any other
    ``locale_root`` it runs in a scratch copy of the sources without their ``locale`` folder:
    a check never touches the real catalog.
    """
    scratch: tempfile.TemporaryDirectory[str] | None = None
    if locale_root != LOCALE_ROOT:
        if po_path(LOCALE_ROOT).exists():
            po_path(locale_root).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(po_path(LOCALE_ROOT), po_path(locale_root))
        scratch = tempfile.TemporaryDirectory(prefix="xinbao-src-")
        copy = Path(scratch.name) / "src"
        shutil.copytree(
            source_root,
            copy,
            ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "migrations"),
        )
        source_root = copy
    cwd = Path.cwd()
    try:
        os.chdir(source_root)
        with override_settings(LOCALE_PATHS=[str(locale_root)]):
            call_command(
                "makemessages",
                locale=[HANT],
                verbosity=0,
                no_obsolete=True,
                no_location=True,
                ignore_patterns=["migrations/*", "static/*"],
            )
    finally:
        os.chdir(cwd)
        if scratch is not None:
            scratch.cleanup()
    return polib.pofile(str(po_path(locale_root)))


def fill(catalog: polib.POFile) -> int:
    """Translate every untranslated or fuzzy entry; returns how many were (re)filled."""
    filled = 0
    for entry in catalog:
        if entry.comment.strip() == OLD_AUTO_MARK:
            entry.comment = ""
        translated = entry.msgstr or any(entry.msgstr_plural.values())
        if translated and not entry.fuzzy:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: to_traditional(entry.msgid_plural)}
        else:
            entry.msgstr = to_traditional(entry.msgid)
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        filled += 1
    catalog.metadata.update(
        {
            "Language": HANT,
            "Plural-Forms": "nplurals=1; plural=0;",
            "Content-Type": "text/plain; charset=UTF-8",
        }
    )
    return filled


def missing(catalog: polib.POFile) -> list[str]:
    """Msgids without a usable translation."""
    return [
        entry.msgid
        for entry in catalog
        if entry.fuzzy or not (entry.msgstr or any(entry.msgstr_plural.values()))
    ]


def build(locale_root: Path = LOCALE_ROOT) -> tuple[int, int]:
    """Extract, fill, write .po and .mo. Returns (entries, newly filled)."""
    catalog = extract(locale_root)
    filled = fill(catalog)
    catalog.save(str(po_path(locale_root)))
    catalog.save_as_mofile(str(po_path(locale_root).with_suffix(".mo")))
    return len(catalog), filled
