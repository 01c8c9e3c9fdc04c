"""A private, throw-away PostgreSQL cluster: initdb into a temporary directory, a postmaster on a
free port, and SIGKILL of that postmaster (with every process of its cluster) at any moment.

The crash harness kills *this* server, never the shared one at 127.0.0.1:5432; the PITR drill
restores a base backup of it plus its WAL archive. As root the cluster runs as the ``postgres``
user (initdb refuses root), in a directory that user owns under the system temp dir.

    with PrivateCluster.create() as cluster:
        url = cluster.url("xinbao_crash")
        cluster.kill()      # SIGKILL: postmaster, backends, checkpointer, WAL writer
        cluster.start()     # crash recovery replays the WAL
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

PG_BIN = Path(os.environ.get("XINBAO_PG_BIN", "/usr/lib/postgresql/15/bin"))
# The settings that make an acknowledged commit durable (R31); the harness asserts nothing
# weaker is in force.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


def available() -> str:
    """Empty when a private cluster can be started here, else the reason it cannot."""
    for tool in ("initdb", "postgres", "pg_ctl"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL server binaries not found in {PG_BIN} (XINBAO_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as"
    return ""


def own(path: Path) -> None:
    """Hand ``path`` to the ``postgres`` user when running as root (the server runs as it)."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """One data directory and one postmaster that nobody else uses."""

    def __init__(self, root: Path, port: int, settings: dict[str, str] | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.port = port
        self.settings = {**DURABLE, **(settings or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self._owner: dict[str, Any] = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self._owner = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    # --- life cycle -------------------------------------------------------------------------

    @classmethod
    def create(
        cls, *, settings: dict[str, str] | None = None, root: Path | None = None
    ) -> PrivateCluster:
        if reason := available():
            raise RuntimeError(reason)
        root = root or Path(tempfile.mkdtemp(prefix="xinbao-pgcluster-"))
        root.mkdir(parents=True, exist_ok=True)
        cluster = cls(root, free_port(), settings)
        cluster.chown(root)
        cluster.run(
            PG_BIN / "initdb",
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",  # a fresh scratch cluster; the server itself runs with fsync=on
        )
        cluster.start()
        return cluster

    def chown(self, path: Path) -> None:
        if self._owner:
            os.chown(path, self._owner["user"], self._owner["group"])

    def run(self, *args: Any, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - PostgreSQL's own tools, fixed arguments
            [str(a) for a in args],
            capture_output=True,
            text=True,
            check=check,
            cwd=self.root,
            **self._owner,
        )

    def start(self, timeout: float = 60) -> None:
        """Start the postmaster (after a kill this is crash recovery) and wait until it accepts
        connections."""
        options: list[str] = []
        for key, value in {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            "max_connections": "40",
            "shared_buffers": "32MB",
            **self.settings,
        }.items():
            options += ["-c", f"{key}={value}"]
        log = (self.root / "postgres.log").open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - the PostgreSQL server binary
            [str(PG_BIN / "postgres"), "-D", str(self.data), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            start_new_session=True,  # its own process group: kill() takes all of it
            **self._owner,
        )
        log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited:\n{self.log_tail()}")
            done = self.run(
                PG_BIN / "pg_isready", "-q", "-h", "127.0.0.1", "-p", self.port, check=False
            )
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not come up in {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the postmaster at this instant, then every other process of the cluster
        (backends, checkpointer, WAL writer): the server dies as in an OOM kill or a host crash,
        with nothing flushed or shut down cleanly."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        # The postmaster's children notice its death; wait until none holds the shared memory,
        # or the next start refuses ("pre-existing shared memory block is still in use").
        deadline = time.monotonic() + 20
        while self._group_alive() and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        self.kills += 1

    def _group_alive(self) -> bool:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.destroy()

    # --- use --------------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self.run(
            PG_BIN / "psql",
            "-X",
            "-qAt",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            self.port,
            "-U",
            "postgres",
            "-d",
            database,
            "-c",
            sql,
        )
        return done.stdout.strip()

    def amcheck(self, database: str) -> str:
        """``pg_amcheck`` over every table and B-tree index of the database (heap pages, TOAST,
        index structure and index-to-heap); "ok" or the corruption it reports."""
        done = self.run(
            PG_BIN / "pg_amcheck",
            "-h",
            "127.0.0.1",
            "-p",
            self.port,
            "-U",
            "postgres",
            "--install-missing",
            "--heapallindexed",
            "--parent-check",
            database,
            check=False,
        )
        if done.returncode == 0:
            return "ok"
        return (done.stdout + done.stderr).strip()[-2000:] or f"exit {done.returncode}"

    def recoveries(self) -> int:
        """How many starts found the cluster crashed and replayed the WAL (the server log's
        "automatic recovery in progress")."""
        try:
            text = (self.root / "postgres.log").read_text(errors="replace")
        except OSError:
            return 0
        return text.count("automatic recovery in progress")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return (self.root / "postgres.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""
