"""The R census (issue 8's acceptance): every requirement R01–R33 of SECURITY.md has at least one
test named after it, and the table in docs/security.md lists every such test."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"^def (test_r(\d\d)_\w+)", re.MULTILINE)


def named_tests() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {f"{n:02d}": set() for n in range(1, 34)}
    for path in (ROOT / "tests").rglob("test_*.py"):
        for name, number in NAMED.findall(path.read_text(encoding="utf-8")):
            found.setdefault(number, set()).add(name)
    return found


def test_every_requirement_r01_to_r33_has_a_named_test_listed_in_the_docs() -> None:
    found = named_tests()
    assert set(found) == {f"{n:02d}" for n in range(1, 34)}, sorted(set(found))
    missing = [f"R{n}" for n, names in found.items() if not names]
    assert not missing, f"no test_rNN_ test for {missing}"
    table = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| R(\d\d) \| (.*)$", table, re.MULTILINE))
    unlisted = [name for n, names in found.items() for name in names if name not in rows.get(n, "")]
    assert not unlisted, f"add to the table in docs/security.md: {unlisted}"
