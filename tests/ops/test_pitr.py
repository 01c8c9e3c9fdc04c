"""R33: the PITR drill (bench/pitr_drill.py) on a private PostgreSQL cluster: base backup plus
WAL archive, the server killed, restored to a target time; a row written before the target is
there, one written after it is not; the restore record is written."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import pg_cluster  # noqa: E402 - bench/ is not a package
import pitr_drill  # noqa: E402


def test_r33_pitr_restores_to_the_target_time_and_writes_the_record(tmp_path: Path) -> None:
    if reason := pg_cluster.available():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PITR drill: {reason}")
        pytest.skip(reason)
    record = pitr_drill.drill(tmp_path)
    assert record["markers"] == "before"  # replayed from the archive up to T, not beyond
    assert record["result"] == "通过"
    assert record["base_backup"].endswith("pg_verifybackup ok")
    (written,) = tmp_path.glob("pitr-*.json")
    saved = json.loads(written.read_text())
    assert saved["result"] == "通过" and saved["recovery_target_time"]
    assert 0 < saved["rto_seconds"] < 120
