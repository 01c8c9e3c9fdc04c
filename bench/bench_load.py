"""Benchmark: the whole system under load, in the province shape and in the county shape.

Province: PostgreSQL + Redis, two gunicorn app-server processes behind nginx. County: SQLite,
one gunicorn process, no proxy (what one machine runs). Both get the same data (bench_lists.py's
province: 100 counties × 30 units, N items) and the same locust mix (bench/load/locustfile.py:
officers list, create and submit; editors open the inbox, review and adopt; department leaders
open the ranking and the dashboard). Beside the app servers run ``--workers`` background task
processes (``xinbao worker``, the database task queue): they refresh the points ledger and the
dashboard cells the writes noted (``scoring.pending``), so their CPU is counted with the servers'.
Prints throughput and p50/p95/p99 per page and the errors, the CPU of servers and workers, the
work still queued when the load stops, then the province/county ratio per page.

    make bench-load                                   # installs locust and nginx, then runs this
    .venv/bin/python bench/bench_load.py --items 300000 --users 100 --duration 60
    .venv/bin/python bench/bench_load.py --items 100000 --users 100 --think 5 15   # people at work

The data is built once per database and reused (drop xinbao_load / delete the SQLite file to
rebuild). Locust runs on the same two cores as the servers, so the figures are a floor. The
database, SQLite file and Redis database are arguments (or XINBAO_LOAD_DATABASE_URL,
XINBAO_LOAD_SQLITE_PATH, XINBAO_LOAD_REDIS_URL), so two runs need not share them:

    .venv/bin/python bench/bench_load.py --items 20000 --users 30 --skip-sqlite \
        --database-url postgres://postgres@127.0.0.1:5432/xinbao_mine_load \
        --redis-url redis://127.0.0.1:6379/11
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pg_backend
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "Load-Bench-2026!"  # noqa: S105 - the generated bench accounts' password
POSTGRES_URL = os.environ.get(
    "XINBAO_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xinbao_load"
)
SQLITE_PATH = os.environ.get(
    "XINBAO_LOAD_SQLITE_PATH", str(Path(tempfile.gettempdir()) / "xinbao_load.sqlite3")
)
REDIS_URL = os.environ.get("XINBAO_LOAD_REDIS_URL", "redis://127.0.0.1:6379/14")


def prepare(n_items: int, accounts_file: Path) -> None:
    """In a child process with DATABASE_URL set: migrate, build the province, make accounts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_lists  # django.setup() happens on import
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from xinbao.dashboard.aggregates import ensure_built
    from xinbao.orgs.models import Role, Unit, User

    pg_backend.migrate()
    bench_lists.build(n_items)
    pg_backend.vacuum_analyze_if_never(connection)
    # The province's items were written in bulk, past the signals that keep the dashboards'
    # monthly cells current, so build them as an operator runs `xinbao dashboard_rebuild`
    # after a bulk load; otherwise each department's first dashboard builds them in the
    # request (at 10,000 items a county, the leader's first look took 0.6-0.9 s).
    started = time.perf_counter()
    for department_id in Unit.objects.filter(kind=Unit.Kind.ORG_DEPT).values_list("pk", flat=True):
        ensure_built(department_id)
    print(f"dashboard cells ready in {time.perf_counter() - started:.1f} s")
    hashed = make_password(PASSWORD)
    counties = list(Unit.objects.filter(level="county", kind="org_dept").order_by("code")[:20])
    for county in counties:
        User.objects.get_or_create(
            username=f"d{county.code}",
            defaults={"role": Role.DEPT_LEADER, "unit": county, "full_name": "部领导"},
        )
    picked = {
        "officers": list(
            User.objects.filter(role=Role.OFFICER, unit__department__in=counties)
            .order_by("username")
            .values_list("username", flat=True)[:200]
        ),
        "editors": list(
            User.objects.filter(role=Role.EDITOR, unit__in=counties).values_list(
                "username", flat=True
            )
        ),
        "leaders": [f"d{c.code}" for c in counties],
    }
    everyone = [name for names in picked.values() for name in names]
    User.objects.filter(username__in=everyone).update(
        password=hashed, must_change_password=False, is_active=True, full_name="压测"
    )
    accounts_file.write_text(json.dumps(picked))
    print(f"accounts: {', '.join(f'{k} {len(v)}' for k, v in picked.items())}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own server
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def servers(
    env: dict[str, str], count: int, proxy: bool, workdir: Path
) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """``count`` gunicorn processes (one worker, four threads each), behind nginx if ``proxy``;
    yields the base URL the load goes to and the gunicorn masters (for their CPU time)."""
    ports = [free_port() for _ in range(count)]
    procs = [
        subprocess.Popen(  # noqa: S603 - our own gunicorn and config
            [
                str(BIN / "gunicorn"),
                *("-c", str(ROOT / "deploy/gunicorn.conf.py")),
                # each request's time in the server, from the moment it is read (bench/load)
                *("--access-logfile", str(workdir / f"access-{port}.log")),
                *("--access-logformat", '%(t)s "%(r)s" %(s)s %(M)sms'),
                "xinbao.wsgi:application",
            ],
            env={**env, "XINBAO_BIND": f"127.0.0.1:{port}", "XINBAO_WORKERS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=(workdir / f"gunicorn-{port}.log").open("w"),
        )
        for port in ports
    ]
    nginx = None
    try:
        for port in ports:
            wait_until_serving(f"http://127.0.0.1:{port}/login/")
        base = f"http://127.0.0.1:{ports[0]}"
        if proxy:
            listen = free_port()
            # as deploy/nginx/xinbao.conf: a server is taken out after 3 failures, for 10 s
            upstream = "\n".join(
                f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in ports
            )
            conf = workdir / "nginx.conf"
            conf.write_text(
                f"daemon off; worker_processes 1; pid {workdir}/nginx.pid;\n"
                f"error_log {workdir}/nginx-error.log warn;\n"
                "events { worker_connections 1024; }\n"
                "http {\n access_log off;\n"
                f" client_body_temp_path {workdir}/body; proxy_temp_path {workdir}/proxy;\n"
                f" upstream app {{\n{upstream}\n    keepalive 32;\n }}\n"
                " proxy_read_timeout 75s;\n"
                f" server {{ listen 127.0.0.1:{listen};\n"
                "  location / { proxy_pass http://app; proxy_http_version 1.1;\n"
                '   proxy_set_header Connection ""; proxy_set_header Host $host;\n'
                "   proxy_set_header X-Forwarded-For $remote_addr; }\n }\n}\n"
            )
            nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
            nginx = subprocess.Popen([nginx_bin, "-c", str(conf), "-p", str(workdir)])  # noqa: S603
            base = f"http://127.0.0.1:{listen}"
            wait_until_serving(base + "/login/")
        yield base, procs
    finally:
        for proc in [*procs, *([nginx] if nginx else [])]:
            proc.terminate()
        for proc in [*procs, *([nginx] if nginx else [])]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # requests still queued after the run
                proc.kill()
                proc.wait()


@contextmanager
def task_workers(
    env: dict[str, str], count: int, workdir: Path
) -> Iterator[list[subprocess.Popen]]:
    """``count`` background task processes (``xinbao worker``, the database queue)."""
    procs = [
        subprocess.Popen(  # noqa: S603 - our own command
            [str(BIN / "xinbao"), "worker", "--interval", "0.5", "--verbosity", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / f"worker-{n}.log").open("w"),
        )
        for n in range(count)
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


BACKLOG = (
    "from xinbao.scoring.models import PendingRefresh as P;"
    "from django_tasks_db.models import DBTaskResult as T;"
    "print(P.objects.exclude(kind='queued').count(), T.objects.filter(status='READY').count(),"
    " T.objects.filter(status='SUCCESSFUL').count(), T.objects.filter(status='FAILED').count())"
)


def backlog(env: dict[str, str]) -> str:
    """The refresh work still noted and the task queue's rows by status, as one line."""
    answer = subprocess.run(  # noqa: S603 - our own command
        [str(BIN / "xinbao"), "shell", "--no-imports", "-c", BACKLOG],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode:
        return "unknown (" + answer.stderr.strip().splitlines()[-1:][0] + ")"
    noted, ready, done, failed = answer.stdout.split()[-4:]
    return f"{noted} refresh rows noted, tasks: {ready} queued, {done} done, {failed} failed"


def process_cpu(procs: Sequence[subprocess.Popen]) -> float:
    """CPU seconds (user + system) used so far by these processes and their children, those
    still running and those already ended (a gunicorn worker recycled after ``max_requests``
    takes its CPU time to its parent's ``children_*``; without them the figure could drop)."""
    total = 0.0
    for proc in procs:
        try:
            tree = psutil.Process(proc.pid)
            for each in [tree, *tree.children(recursive=True)]:
                times = each.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            continue
    return total


def machine_busy(before: Any, after: Any) -> float:
    """CPU seconds the whole machine spent busy (every process, ours or not) between two
    ``psutil.cpu_times()`` readings."""
    idle = (after.idle - before.idle) + (after.iowait - before.iowait)
    return sum(after) - sum(before) - idle


class WaitSampler:
    """What the database's sessions were doing, sampled during the run (PostgreSQL only): for
    each sample, the sessions of this database running a statement, by wait event (``CPU`` when
    not waiting). Tells lock waits (the audit chain, row locks) from CPU and I/O."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url if database_url.startswith("postgres") else ""
        self.samples = 0
        self.counts: dict[str, int] = {}
        self.conn: Any = None

    def sample(self) -> None:
        if not self.url:
            return
        import psycopg

        if self.conn is None:
            self.conn = psycopg.connect(self.url, autocommit=True)
        rows = self.conn.execute(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), count(*)"
            " FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
            " AND pid <> pg_backend_pid() GROUP BY 1"
        ).fetchall()
        self.samples += 1
        for event, count in rows:
            self.counts[event] = self.counts.get(event, 0) + count

    def summary(self) -> str:
        if self.conn is not None:
            self.conn.close()
        if not self.samples:
            return ""
        mean = {event: count / self.samples for event, count in self.counts.items()}
        top = sorted(mean.items(), key=lambda pair: -pair[1])[:6]
        return (
            f"database sessions running a statement, mean of {self.samples} samples: "
            f"{sum(mean.values()):.2f} ("
            + ", ".join(f"{event} {value:.2f}" for event, value in top)
            + ")"
        )


def run_locust(
    base: str,
    args: argparse.Namespace,
    workdir: Path,
    accounts: Path,
    procs: list,
    workers: list,
    sampler: WaitSampler | None = None,
) -> tuple[dict, dict]:
    """Runs locust: users arrive at ``--spawn-rate`` a second and sign in once each (the sign-in
    rows come from the locustfile's own file); the page statistics cover the ``--duration``
    seconds after the last sign-in. Returns the rows and that window's wall and CPU seconds (app
    servers, locust, the whole machine) with the load average at its end."""
    prefix = workdir / "locust"
    logins, mark = workdir / "logins.json", workdir / "measuring"
    limit = args.users / args.spawn_rate + args.duration + 600
    runner = subprocess.Popen(  # noqa: S603 - our own locustfile
        [
            *(str(BIN / "locust"), "-f", str(ROOT / "bench/load/locustfile.py"), "--headless"),
            *("-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{limit:.0f}s"),
            *("--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"),
        ],
        env={
            **os.environ,
            "LOAD_ACCOUNTS": str(accounts),
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_LOGINS": str(logins),
            "LOAD_MARK": str(mark),
            "LOAD_MEASURE_SECONDS": str(args.duration),
            "LOAD_THINK": f"{args.think[0]},{args.think[1]}",
        },
    )
    while not mark.exists() and runner.poll() is None:
        time.sleep(0.2)
    machine = psutil.cpu_times()
    app_cpu, worker_cpu = process_cpu(procs), process_cpu(workers)
    locust = psutil.Process(runner.pid)
    locust_cpu = sum(locust.cpu_times()[:2]) if runner.poll() is None else 0.0
    started = time.monotonic()
    while runner.poll() is None:
        try:
            locust_end = sum(locust.cpu_times()[:2])
        except psutil.NoSuchProcess:
            break
        if sampler is not None:
            sampler.sample()
        time.sleep(0.5)
    figures = {
        "wall": time.monotonic() - started,
        "app_cpu": process_cpu(procs) - app_cpu,
        "worker_cpu": process_cpu(workers) - worker_cpu,
        "locust_cpu": locust_end - locust_cpu,
        "machine_cpu": machine_busy(machine, psutil.cpu_times()),
        "loadavg": os.getloadavg(),
    }
    runner.wait()
    rows = {}
    with Path(f"{prefix}_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            if not int(row["Request Count"]):
                continue  # the sign-in rows after the reset: they come from LOAD_LOGINS
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                **{key: number(row[column]) for key, column in PERCENTILES},
                "rps": float(row["Requests/s"] or 0),
            }
    for name, row in json.loads(logins.read_text()).items() if logins.exists() else []:
        rows[f"{name} (once per user)"] = {**row, "rps": 0.0}
    return rows, figures


PERCENTILES = (("p50", "50%"), ("p95", "95%"), ("p99", "99%"))


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "N/A"
        return 0.0


def print_table(title: str, rows: dict, figures: dict) -> None:
    print(f"\n== {title}")
    print(
        f"wall {figures['wall']:.0f} s; CPU: app servers {figures['app_cpu']:.0f} s, "
        f"task workers {figures['worker_cpu']:.0f} s, "
        f"locust {figures['locust_cpu']:.0f} s, whole machine {figures['machine_cpu']:.0f} s "
        f"(of {2 * figures['wall']:.0f} on 2 cores); load average "
        + " ".join(f"{x:.2f}" for x in figures["loadavg"])
    )
    print(f"background work left when the load stopped: {figures['backlog']}")
    if figures.get("waits"):
        print(figures["waits"])
    print(f"{'page':<26}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}")
    for name, r in rows.items():
        print(
            f"{name:<26}{r['requests']:>9}{r['failures']:>8}{r['rps']:>8.1f}"
            f"{r['p50']:>7.0f}{r['p95']:>7.0f}{r['p99']:>7.0f}"
        )


def setup_env(database_url: str, workdir: Path, redis: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "XINBAO_VAR_DIR": str(workdir),
        "XINBAO_SECRET_KEY": "load-bench-key-" + "Z3#x" * 12,
        "XINBAO_DEBUG": "0",
        "XINBAO_API_RATE_PER_MINUTE": "100000",
    }
    if redis:
        env["XINBAO_REDIS_URL"] = redis
        env["XINBAO_CACHE_PREFIX"] = database_url.rsplit("/", 1)[1]
    return env


def run_setup(label: str, database_url: str, count: int, proxy: bool, args: argparse.Namespace):
    workdir = Path(tempfile.mkdtemp(prefix="xinbao-load-"))
    print(f"{label}: logs and locust CSV files in {workdir}", flush=True)
    env = setup_env(database_url, workdir, redis=args.redis_url if proxy else "")
    accounts = workdir / "accounts.json"
    pg_backend.ensure_database(database_url)
    subprocess.run(  # noqa: S603 - this script, preparing its own data
        [sys.executable, __file__, "--prepare", "--items", str(args.items), "--accounts", accounts],
        env=env,
        check=True,
    )
    with (
        servers(env, count, proxy, workdir) as (base, procs),
        task_workers(env, args.workers, workdir) as workers,
    ):
        sampler = WaitSampler(database_url)
        rows, figures = run_locust(base, args, workdir, accounts, procs, workers, sampler)
        figures["waits"] = sampler.summary()
        figures["backlog"] = backlog(env)
        title = f"{label}: {count} app server(s){' behind nginx' if proxy else ''}"
        print_table(title, rows, figures)  # before the servers stop: that may take a while
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=300_000)
    parser.add_argument("--users", type=int, default=100)
    # Users arrive two a second: each signs in once (≈ 0.5 s of CPU for the password check).
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--duration", type=int, default=60)
    # Seconds a simulated user waits between requests (uniform): 0.5–2 s is a stress test (about
    # 70 requests a second at 100 users); people reading pages and writing items wait far longer.
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--database-url", default=POSTGRES_URL, help="the PostgreSQL database")
    parser.add_argument("--sqlite-path", default=SQLITE_PATH, help="the SQLite file")
    parser.add_argument("--redis-url", default=REDIS_URL, help="Redis (cache) for PostgreSQL")
    parser.add_argument("--workers", type=int, default=1, help="background task processes")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.items, args.accounts)
        return 0
    if not shutil.which("locust", path=str(BIN)) or not Path("/usr/sbin/nginx").exists():
        raise SystemExit("needs locust and nginx: run `make bench-load`")
    print(
        f"{args.users} users, think time {args.think[0]:g}–{args.think[1]:g} s, "
        f"{args.duration} s, {args.items} items; times in ms"
    )
    province = {}
    if not args.skip_postgres:
        province = run_setup("PostgreSQL + Redis", args.database_url, 2, True, args)
    if args.skip_sqlite:
        return 0
    county = run_setup("SQLite", f"sqlite:///{args.sqlite_path}", 1, False, args)
    print("\n== p95 ratio (SQLite single process / PostgreSQL two servers)")
    for name, r in province.items():
        if name in county and r["p95"]:
            print(f"{name:<26}{county[name]['p95'] / r['p95']:>7.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
