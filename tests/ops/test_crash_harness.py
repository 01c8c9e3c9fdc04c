"""R31: the kill -9 harness (bench/crash_harness.py) loses nothing that was acknowledged.

20 rounds here; the nightly job sets ``XINBAO_CRASH_ROUNDS=200``. On PostgreSQL (``DATABASE_URL``)
the harness uses its own database ``<name>_crash``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_r31_nothing_acknowledged_is_lost_when_the_app_server_is_killed(tmp_path: Path) -> None:
    rounds = os.environ.get("XINBAO_CRASH_ROUNDS", "20")
    done = subprocess.run(  # noqa: S603 - our own harness
        [
            sys.executable,
            str(ROOT / "bench" / "crash_harness.py"),
            "--rounds",
            rounds,
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    out = done.stdout + done.stderr
    line = re.search(r"acknowledged=(\d+) stored=(\d+) lost=(\d+)", out)
    assert line, out[-3000:]
    acknowledged, stored, lost = (int(g) for g in line.groups())
    assert lost == 0 and stored == acknowledged > 0, out[-3000:]
    assert f"rounds={rounds}" in out and "integrity=ok" in out and "audit=ok" in out, out[-3000:]
    assert "backup=ok" in out, out[-3000:]  # taken while the client wrote, then restored
    assert done.returncode == 0, out[-3000:]
