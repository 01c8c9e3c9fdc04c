"""Schema evolution: the models and the migrations agree, and every migration applies from zero
and reverses back to zero on the suite's database engine (a scratch database of its own), so an
upgrade can be rolled back. Runs ``xinbao`` in a subprocess: the test database stays untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

XINBAO = str(Path(sys.executable).parent / "xinbao")
OUR_APPS = [app.rsplit(".", 1)[-1] for app in settings.INSTALLED_APPS if app.startswith("xinbao.")]


ROUND_TRIP = """
import json, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

apps = [a for a in json.loads(APPS) if a in MigrationLoader(connection).migrated_apps]
def applied():
    rows = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in rows if app in apps)
call_command("migrate", interactive=False, verbosity=0)
before = applied()
for app in reversed(apps):
    call_command("migrate", app, "zero", interactive=False, verbosity=0)
after_zero = applied()
call_command("migrate", interactive=False, verbosity=0)
print(json.dumps({"before": before, "after_zero": after_zero, "again": applied()}))
"""


def round_trip(env: dict[str, str]) -> dict[str, list[str]]:
    code = ROUND_TRIP.replace("APPS", repr(json.dumps(OUR_APPS)))
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "xinbao.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture
def scratch_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "XINBAO_VAR_DIR": str(tmp_path)}
    base = settings.DATABASES["default"]
    if "postgresql" not in base["ENGINE"]:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        yield env
        return
    import psycopg

    name = f"{base['NAME']}_migrations_{uuid.uuid4().hex[:8]}"  # beside the test database
    server = f"host={base['HOST'] or '127.0.0.1'} port={base['PORT'] or 5432} user={base['USER']}"
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = (
        f"postgres://{base['USER']}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/{name}"
    )
    try:
        yield env
    finally:
        with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_models_and_migrations_agree() -> None:
    result = subprocess.run(  # noqa: S603 - our own command
        [XINBAO, "makemigrations", "--check", "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, "a model change has no migration:\n" + result.stdout


def test_every_migration_applies_from_zero_and_reverses(scratch_env: dict[str, str]) -> None:
    state = round_trip(scratch_env)
    assert len(state["before"]) >= len(OUR_APPS) - 1  # every app but web has migrations
    assert state["after_zero"] == []
    assert state["again"] == state["before"]
