"""Production settings pass Django's deployment checklist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_check_deploy_reports_nothing_with_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XINBAO_PRODUCTION": "1",
        "XINBAO_SECRET_KEY": "a-test-only-key-" + "x9Q#" * 16,
        "XINBAO_ALLOWED_HOSTS": "xinbao.example.gov.cn",
        "XINBAO_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "xinbao.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_secret_key_is_generated_into_var_and_not_in_the_repository(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "XINBAO_SECRET_KEY"}
    env["XINBAO_VAR_DIR"] = str(tmp_path)
    code = "from django.conf import settings; print(len(settings.SECRET_KEY))"
    first = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "xinbao.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert int(first.stdout) >= 50
    tracked = subprocess.run(
        ["git", "ls-files"],  # noqa: S607 - git from PATH, as the developer runs it
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    assert "secret_key" not in tracked
