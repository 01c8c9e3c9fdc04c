"""R31: the kill -9 harness (bench/crash_harness.py) loses nothing that was acknowledged.

20 rounds here; the nightly job sets ``XINBAO_CRASH_ROUNDS=200``. On PostgreSQL (``DATABASE_URL``)
the harness uses its own database ``<name>_crash``. The PostgreSQL server itself is killed in a
private cluster (``bench/pg_cluster.py``): 4 rounds here (half of them kill the postmaster),
``XINBAO_CRASH_PG_ROUNDS`` for more.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import pg_cluster  # noqa: E402 - bench/ is not a package


def run_harness(tmp_path: Path, *args: str) -> tuple[str, int, int, int, int]:
    """Runs bench/crash_harness.py with ``args``; its output, exit code, and the acknowledged,
    stored and lost counts it printed."""
    done = subprocess.run(  # noqa: S603 - our own harness
        [
            sys.executable,
            str(ROOT / "bench" / "crash_harness.py"),
            *args,
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
    return out, done.returncode, acknowledged, stored, lost


def test_r31_nothing_acknowledged_is_lost_when_the_app_server_is_killed(tmp_path: Path) -> None:
    rounds = os.environ.get("XINBAO_CRASH_ROUNDS", "20")
    out, returncode, acknowledged, stored, lost = run_harness(tmp_path, "--rounds", rounds)
    assert lost == 0 and stored == acknowledged > 0, out[-3000:]
    assert f"rounds={rounds}" in out and "integrity=ok" in out and "audit=ok" in out, out[-3000:]
    assert "backup=ok" in out, out[-3000:]  # taken while the client wrote, then restored
    assert returncode == 0, out[-3000:]


def test_r31_nothing_acknowledged_is_lost_when_postgresql_is_killed(tmp_path: Path) -> None:
    """SIGKILL of a private cluster's postmaster (and all its processes) at random moments while
    the app server is killed too: every acknowledged item once, pg_amcheck clean, one crash
    recovery per kill, the audit chain verifying."""
    if reason := pg_cluster.available():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL kill rounds: {reason}")
        pytest.skip(reason)
    rounds = os.environ.get("XINBAO_CRASH_PG_ROUNDS", "4")
    out, returncode, acknowledged, stored, lost = run_harness(
        tmp_path, "--pg-cluster", "--rounds", rounds
    )
    assert lost == 0 and stored == acknowledged > 0, out[-3000:]
    kills = re.search(r"db_kills=(\d+) db_recoveries=(\d+)", out)
    assert kills and int(kills[1]) == int(rounds) // 2 == int(kills[2]) > 0, out[-3000:]
    assert "amcheck=ok" in out and "audit=ok" in out and "database=postgresql" in out, out[-3000:]
    assert returncode == 0, out[-3000:]
