"""The deployment shape: several stateless gunicorn app servers sharing one database and one
Redis. Two real servers are started from ``deploy/gunicorn.conf.py``; a token issued by one is
accepted by the other, and the API rate limit is counted across both (Redis, not process memory).

Needs Redis on 127.0.0.1:6379: skipped with the reason when it is not there, except under CI.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/15"
PASSWORD = "Deploy-Check-2026!"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn on {port} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return
        except OSError:  # refused while starting, or a first slow answer
            time.sleep(0.2)
    raise AssertionError(f"gunicorn on {port} did not answer within 60 s")


def api(port: int, path: str, body: dict[str, str] | None = None, token: str = "") -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            api.last_body = response.read()  # type: ignore[attr-defined]
            return int(response.status)
    except urllib.error.HTTPError as error:
        api.last_body = error.read()  # type: ignore[attr-defined]
        return int(error.code)


@pytest.fixture
def two_app_servers(tmp_path: Path) -> Iterator[tuple[int, int]]:
    if not redis_available():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (CI must have it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "XINBAO_VAR_DIR": str(tmp_path),
        "XINBAO_SECRET_KEY": "deployment-test-key-" + "k7#Q" * 12,
        "XINBAO_REDIS_URL": REDIS_URL,
        "XINBAO_CACHE_PREFIX": f"deploytest{os.getpid()}",
        "XINBAO_API_RATE_PER_MINUTE": "4",
        "XINBAO_DEBUG": "0",
    }
    xinbao = str(BIN / "xinbao")
    subprocess.run([xinbao, "migrate", "--no-input", "-v", "0"], env=env, check=True)  # noqa: S603
    create = (
        "from xinbao.orgs.models import Role, User\n"
        "u = User(username='ops_editor', role=Role.EDITOR, full_name='运维测试',"
        " must_change_password=False)\n"
        f"u.set_password({PASSWORD!r}); u.save()\n"
    )
    subprocess.run([xinbao, "shell", "-c", create], env=env, check=True)  # noqa: S603
    ports = (free_port(), free_port())
    servers = [
        subprocess.Popen(  # noqa: S603 - our own gunicorn with our own config
            [
                str(BIN / "gunicorn"),
                "--config",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "xinbao.wsgi:application",
            ],
            env={**env, "XINBAO_BIND": f"127.0.0.1:{port}", "XINBAO_WORKERS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_until_serving(port, server)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def test_app_servers_share_sessions_tokens_and_rate_limits(
    two_app_servers: tuple[int, int],
) -> None:
    first, second = two_app_servers
    assert api(first, "/auth/token", {"username": "ops_editor", "password": PASSWORD}) == 200
    token = json.loads(api.last_body)["token"]  # type: ignore[attr-defined]
    # The limit counts fixed one-minute windows: five requests that straddle a window's end would
    # be counted in two (CI saw 200 for the fifth), so start them well inside one window.
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.5)

    # The token issued by the first server works on the second: no state in the process.
    assert api(second, "/me", token=token) == 200
    assert json.loads(api.last_body)["username"] == "ops_editor"  # type: ignore[attr-defined]

    # Four requests a minute per token, counted in Redis across both servers.
    statuses = [api(port, "/me", token=token) for port in (first, second, first, second)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    assert "请求过于频繁" in api.last_body.decode()  # type: ignore[attr-defined]


def test_gunicorn_config_reads_its_settings_from_the_environment() -> None:
    env = {**os.environ, "XINBAO_BIND": "127.0.0.1:9123", "XINBAO_WORKERS": "3"}
    code = (
        "import runpy, json; c = runpy.run_path('deploy/gunicorn.conf.py');"
        "print(json.dumps([c['bind'], c['workers'], c['worker_class']]))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == ["127.0.0.1:9123", 3, "gthread"]
