"""The rebuild's worker processes (``search.parallel``) end with the process that started them:
a ``xinbao reindex`` killed midway must leave no worker holding its database socket."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from xinbao.search.parallel import ordered_map


def _note_pid_and_wait(folder: str) -> int:
    Path(folder, str(os.getpid())).touch()
    time.sleep(60)
    return 0


def _rebuild(folder: str) -> None:
    for _ in ordered_map(_note_pid_and_wait, [folder] * 4, workers=2):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_when_the_rebuild_is_killed(tmp_path: Path) -> None:
    parent = multiprocessing.get_context("fork").Process(target=_rebuild, args=(str(tmp_path),))
    parent.start()
    deadline = time.monotonic() + 30
    while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(path.name) for path in tmp_path.iterdir()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)

    assert parent.pid is not None
    os.kill(parent.pid, signal.SIGKILL)
    parent.join()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
