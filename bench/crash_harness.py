"""Crash harness (R31): nothing acknowledged is lost when the app server is killed with SIGKILL.

A client posts items to ``POST /api/v1/items`` with an ``Idempotency-Key`` each (retrying the same
key until it is acknowledged) and uploads an attachment to every third acknowledged item; each
acknowledgement is appended to a local file and fsynced. Meanwhile a loop sends SIGKILL to the
gunicorn worker at random moments (the master forks a new one) and, every tenth round, to the
whole server, which is then started again. On PostgreSQL (``DATABASE_URL``) the harness also cuts
its database's server connections (``pg_terminate_backend``); it never kills the shared server.

With ``--pg-cluster`` it starts a private PostgreSQL cluster instead (``bench/pg_cluster.py``:
initdb into a temporary directory, a postmaster on a free port, as the ``postgres`` user when run
as root) and, every ``--db-kill-every`` rounds, also SIGKILLs that postmaster and all its
processes at another random moment, then starts it again (crash recovery from the WAL).

Afterwards: the engine's integrity check (``PRAGMA integrity_check`` / amcheck and counts;
``pg_amcheck --heapallindexed`` on the private cluster), every
acknowledged item present exactly once, every attachment's file matching its digest, and the
audit chain verifying. It prints ``acknowledged=… stored=… lost=…`` and exits 1 unless lost is 0
and every check passed.

    python bench/crash_harness.py                  # 20 rounds (XINBAO_CRASH_ROUNDS overrides)
    XINBAO_CRASH_ROUNDS=200 python bench/crash_harness.py   # the nightly size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_NAME python bench/crash_harness.py
    python bench/crash_harness.py --pg-cluster --rounds 20   # kills PostgreSQL too

On PostgreSQL it uses (drops and recreates) the database ``<name>_crash``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pg_cluster import PrivateCluster

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def django_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        XINBAO_VAR_DIR=str(workdir / "var"),
        XINBAO_DEBUG="0",
        XINBAO_PRODUCTION="0",
        XINBAO_ALLOWED_HOSTS="127.0.0.1,localhost",
        XINBAO_API_RATE_PER_MINUTE="1000000",
        XINBAO_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="xinbao.settings",
    )
    if url := os.environ.get("DATABASE_URL"):
        base, _, name = url.rpartition("/")
        env["DATABASE_URL"] = f"{base}/{name}_crash"
    return env


SETUP = """
import django, json, os
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0, interactive=False)
from xinbao.api.services import token_create
from xinbao.orgs.models import Role, Unit, User
from xinbao.orgs.services import unit_save
city = unit_save(unit=Unit(code="CRASHC", name="压测市委组织部", kind=Unit.Kind.ORG_DEPT,
                 level=Unit.Level.CITY), actor=None)
dept = unit_save(unit=Unit(code="CRASHD", name="压测县委组织部", kind=Unit.Kind.ORG_DEPT,
                 level=Unit.Level.COUNTY, parent=city), actor=None)
town = unit_save(unit=Unit(code="CRASHT", name="压测镇", kind=Unit.Kind.TOWNSHIP, parent=dept),
                 actor=None)
user = User(username="crash_officer", role=Role.OFFICER, unit=town, full_name="压测信息员",
            officer_rank=User.OfficerRank.PRIMARY, must_change_password=False)
user.set_unusable_password()
user.save()
print(json.dumps({"token": token_create(user=user)[1]}))
"""

CHECK = """
import django, hashlib, json, sys
django.setup()
from io import StringIO
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from xinbao.audit.chain import verify_chain
from xinbao.items.models import Attachment, Item
from xinbao.ops.models import IdempotencyKey

acks = json.loads(sys.stdin.read())
report = {}
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA integrity_check")
        report["integrity"] = cursor.fetchone()[0]
    else:
        report["integrity"] = "ok"
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            cursor.execute(
                "SELECT bt_index_check(c.oid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE a.amname = 'btree' AND n.nspname = 'public'")
            report["amcheck"] = "ok"
        except Exception as exc:  # amcheck not installable here: counts below still run
            report["amcheck"] = f"unavailable: {exc.__class__.__name__}"
        durable = {}
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            cursor.execute(f"SHOW {setting}")
            durable[setting] = cursor.fetchone()[0]
        report["durable"] = durable
        for table in ("items_item", "items_attachment", "audit_auditrecord"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            cursor.fetchone()
keys = {k.key: k.response["id"] for k in IdempotencyKey.objects.filter(scope="items.create")}
titles = dict(Item.objects.values_list("title").annotate(n=Count("id")).values_list("title", "n"))
stored = lost = 0
for ack in acks["items"]:
    item_id = keys.get(ack["key"])
    once = titles.get("崩溃测试 " + ack["key"]) == 1
    if item_id == ack["id"] and once and Item.objects.filter(pk=item_id).exists():
        stored += 1
    else:
        lost += 1
report["duplicates"] = sum(1 for n in titles.values() if n > 1)
have = {(a.item_id, a.sha256) for a in Attachment.objects.all()}
report["attachments_acknowledged"] = len(acks["attachments"])
report["attachments_lost"] = sum(
    1 for a in acks["attachments"] if (a["item"], a["sha256"]) not in have
)
bad = 0
for a in Attachment.objects.all():
    with a.file.open("rb") as handle:
        if hashlib.sha256(handle.read()).hexdigest() != a.sha256:
            bad += 1
report["attachments_bad_digest"] = bad
verdict = verify_chain()
report["audit"] = "ok" if verdict.ok else verdict.message
if acks.get("backup"):
    # The backup taken while the client wrote: it restores into a scratch database with the
    # manifest's counts and a verifying audit chain (restore_into checks both).
    from pathlib import Path
    from xinbao.ops.backup import BackupError, restore_into, scratch_database
    try:
        with scratch_database("crash_backup") as (alias, media_root):
            result = restore_into(src=Path(acks["backup"]), alias=alias, media_root=media_root)
        report["backup"] = "ok"
        report["backup_rows"] = sum(result.counts.values())
    except BackupError as exc:
        report["backup"] = str(exc)
report.update(acknowledged=len(acks["items"]), stored=stored, lost=lost)
print(json.dumps(report, ensure_ascii=False))
"""


def run_django(code: str, env: dict[str, str], stdin: str = "") -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [PYTHON, "-c", code], env=env, input=stdin, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"django step failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


class Server:
    """gunicorn with the app preloaded in the master, so a killed worker is replaced at once."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own server
            [
                str(BIN / "gunicorn"),
                f"--pythonpath={ROOT / 'bench'}",
                "crash_wsgi:application",
                "--preload",
                "--workers=1",
                "--timeout=30",
                "--graceful-timeout=1",
                f"--bind=127.0.0.1:{self.port}",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def workers(self) -> list[int]:
        assert self.proc is not None
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def kill_worker(self) -> bool:
        for pid in self.workers():
            try:
                os.kill(pid, signal.SIGKILL)
                return True
            except ProcessLookupError:
                pass
        return False

    def kill_all(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill_all()

    def wait_ready(self, limit: float = 120) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/items")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not come up")


def png(seed: int) -> bytes:
    """A valid-looking PNG (signature + IHDR) with unique trailing bytes."""
    head = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
    return head + hashlib.sha256(str(seed).encode()).digest() * 4


class Client(threading.Thread):
    def __init__(self, port: int, token: str, ack_file: Path) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.ack_file = port, token, ack_file
        self.stopping = threading.Event()
        self.items: list[dict[str, Any]] = []
        self.attachments: list[dict[str, Any]] = []
        self.errors = 0

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body, {"Authorization": f"Bearer {self.token}", **headers})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def ack(self, kind: str, record: dict[str, Any]) -> None:
        with self.ack_file.open("a") as handle:
            handle.write(json.dumps({"kind": kind, **record}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        (self.items if kind == "item" else self.attachments).append(record)

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            key = uuid.uuid4().hex
            body = json.dumps(
                {
                    "title": f"崩溃测试 {key}",
                    "body": "压测正文,验证崩溃后不丢失已确认的写入。",
                    "category": "动态",
                }
            ).encode()
            while True:  # the same key until acknowledged: retries never create twice
                try:
                    status, data = self.request(
                        "POST",
                        "/api/v1/items",
                        body,
                        {"Content-Type": "application/json", "Idempotency-Key": key},
                    )
                except OSError:
                    self.errors += 1
                    time.sleep(0.05)
                    continue
                if status == 201:
                    self.ack("item", {"key": key, "id": json.loads(data)["id"]})
                    break
                if status >= 500 or status == 429:
                    self.errors += 1
                    time.sleep(0.05)
                    continue
                raise SystemExit(f"unexpected answer {status}: {data[:300]!r}")
            n += 1
            if n % 3 == 0:
                self.attach(self.items[-1]["id"], n)

    def attach(self, item_id: int, seed: int) -> None:
        data = png(seed)
        boundary = uuid.uuid4().hex
        body = (
            (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="file"; filename="p{seed}.png"'
                f"\r\nContent-Type: image/png\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        try:
            status, _ = self.request(
                "POST",
                f"/api/v1/items/{item_id}/attachments",
                body,
                {"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        except OSError:
            self.errors += 1
            return  # not acknowledged: may or may not exist, and is not checked
        if status == 201:
            self.ack("attachment", {"item": item_id, "sha256": hashlib.sha256(data).hexdigest()})


def cut_pg_connections(env: dict[str, str]) -> None:
    url = env["DATABASE_URL"]
    name = url.rpartition("/")[2]
    subprocess.run(  # noqa: S603 - psql from PATH, fixed arguments
        [  # noqa: S607
            "psql",
            url.rpartition("/")[0] + "/postgres",
            "-qc",
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            " AND pid <> pg_backend_pid()",
        ],
        capture_output=True,
    )


def prepare_pg(env: dict[str, str]) -> None:
    url = env["DATABASE_URL"]
    name = url.rpartition("/")[2]
    admin = url.rpartition("/")[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)  # noqa: S603,S607


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=int(os.environ.get("XINBAO_CRASH_ROUNDS", "20"))
    )
    parser.add_argument("--full-restart-every", type=int, default=10)
    parser.add_argument("--min-delay", type=float, default=0.1)
    parser.add_argument("--max-delay", type=float, default=0.6)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--pg-cluster",
        action="store_true",
        default=os.environ.get("XINBAO_CRASH_PG_CLUSTER") == "1",
        help="a private PostgreSQL cluster whose postmaster is SIGKILLed too",
    )
    parser.add_argument("--db-kill-every", type=int, default=2)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="xinbao-crash-"))
    (workdir / "var").mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    cluster: PrivateCluster | None = None
    if args.pg_cluster:
        cluster = PrivateCluster.create()
        os.environ["DATABASE_URL"] = cluster.url("xinbao")  # django_env appends _crash
    env = django_env(workdir)
    pg = "DATABASE_URL" in env and env["DATABASE_URL"].startswith("postgres")
    status = 1
    try:
        status = run(args, rng, workdir, env, pg, cluster, began)
        return status
    finally:
        if cluster is not None:
            cluster.stop()
            if status == 0:
                shutil.rmtree(cluster.root, ignore_errors=True)
            else:
                print(f"the private cluster is kept for inspection: {cluster.root}")


def run(
    args: argparse.Namespace,
    rng: random.Random,
    workdir: Path,
    env: dict[str, str],
    pg: bool,
    cluster: PrivateCluster | None,
    began: float,
) -> int:
    if pg:
        prepare_pg(env)
    token = run_django(SETUP, env)["token"]
    port = free_port()
    server = Server(env, port, workdir / "server.log")
    server.start()
    server.wait_ready()
    setup_done = time.monotonic()
    client = Client(port, token, workdir / "acks.jsonl")
    client.start()
    kills = 0
    backup_dir = workdir / "backup"
    try:
        for round_no in range(1, args.rounds + 1):
            if round_no == args.rounds // 2 + 1:  # a backup while the client writes (R32)
                subprocess.run(  # noqa: S603 - our own command
                    [str(BIN / "xinbao"), "backup", "--out", str(backup_dir)],
                    env=env,
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                )
            time.sleep(rng.uniform(args.min_delay, args.max_delay))
            if args.full_restart_every and round_no % args.full_restart_every == 0:
                server.kill_all()
                if pg:
                    cut_pg_connections(env)
                server.start()
            else:
                server.kill_worker()
                if pg and cluster is None and round_no % 3 == 0:
                    cut_pg_connections(env)
            if cluster is not None and args.db_kill_every and round_no % args.db_kill_every == 0:
                # The database server too, at another random moment; the client keeps writing
                # against it while it is down and during crash recovery.
                time.sleep(rng.uniform(0, args.max_delay))
                cluster.kill()
                time.sleep(rng.uniform(0, args.min_delay))
                cluster.start()
            kills += 1
            server.wait_ready()
        time.sleep(0.3)  # let the client finish what is in flight
        client.stopping.set()
        client.join(timeout=60)
    finally:
        server.stop()
    chaos_done = time.monotonic()
    acks = {
        "items": client.items,
        "attachments": client.attachments,
        "backup": str(backup_dir) if backup_dir.exists() else "",
    }
    report = run_django(CHECK, env, json.dumps(acks))
    if cluster is not None:
        # pg_amcheck over the whole database: heap, TOAST, B-tree structure, index-to-heap.
        report["amcheck"] = cluster.amcheck(env["DATABASE_URL"].rpartition("/")[2])
        report["db_kills"] = cluster.kills
        report["db_recoveries"] = cluster.recoveries()
    report.update(
        setup_seconds=round(setup_done - began, 1),
        chaos_seconds=round(chaos_done - setup_done, 1),
        check_seconds=round(time.monotonic() - chaos_done, 1),
        rounds=kills,
        client_retries=client.errors,
        seconds=round(time.monotonic() - began, 1),
        database="postgresql" if pg else "sqlite",
    )
    report.setdefault("backup", "none")
    report.setdefault("amcheck", "n/a")
    report.setdefault("db_kills", 0)
    report.setdefault("db_recoveries", 0)
    print(
        "acknowledged={acknowledged} stored={stored} lost={lost} duplicates={duplicates} "
        "attachments_acknowledged={attachments_acknowledged} attachments_lost={attachments_lost} "
        "attachments_bad_digest={attachments_bad_digest} integrity={integrity} audit={audit} "
        "backup={backup} amcheck={amcheck} db_kills={db_kills} db_recoveries={db_recoveries} "
        "rounds={rounds} retries={client_retries} seconds={seconds} database={database}".format(
            **report
        )
    )
    print(json.dumps(report, ensure_ascii=False))
    ok = (
        report["lost"] == 0
        and report["duplicates"] == 0
        and report["attachments_lost"] == 0
        and report["attachments_bad_digest"] == 0
        and report["integrity"] == "ok"
        and report["audit"] == "ok"
        and report["backup"] in ("ok", "none")
        and report["acknowledged"] > 0
        and (cluster is None or report["amcheck"] == "ok")
        and (cluster is None or report["db_kills"] > 0)
        and (cluster is None or report["db_recoveries"] == report["db_kills"])
        and all(v == "on" for v in report.get("durable", {}).values())
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
