"""Settings come from the environment; production settings pass `check --deploy` cleanly."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    # A production-like environment: none of the test harness's switches.
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_check_with_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x7Qp2mZr9vL4kT8wB3nY6cF1hJ5dG0sA-prod-key-for-the-deploy-check-only",
        ALLOWED_HOSTS="ic.example.com",
        IC_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_the_development_key_in_production(tmp_path):
    result = run_manage(
        "check", "--deploy", DEBUG="0", ALLOWED_HOSTS="ic.example.com", IC_VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "ic.E001" in result.stdout + result.stderr


def test_it_reads_the_database_and_broker_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE']);"
        "print(settings.CELERY_BROKER_URL)"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DATABASE_URL="postgres://u:p@db.example:5432/ic",
        CELERY_BROKER_URL="redis://cache.example:6379/0",
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache.example:6379/0",
    ], result.stderr
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    fallback = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fallback.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]
