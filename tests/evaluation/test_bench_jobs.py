"""The end-to-end jobs benchmark: real workers on a scratch database, consistent figures."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg2
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _database_exists(url: str, name: str) -> bool:
    server = dj_database_url.parse(url)
    with psycopg2.connect(
        dbname="postgres",
        user=server["USER"],
        password=server["PASSWORD"] or None,
        host=server["HOST"] or None,
        port=server["PORT"] or None,
    ) as db:
        with db.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None


def test_it_runs_jobs_on_real_workers_without_touching_the_configured_database(tmp_path):
    # A separate process: the command makes its own scratch database from the configured one,
    # which inside this test run would be the test database. The configured database is one
    # that does not exist (a file, or a PostgreSQL database): it must not come to exist.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "IC_VAR_DIR": str(tmp_path / "var"),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    configured_file = tmp_path / "var" / "db.sqlite3"
    if POSTGRES:
        configured_name = f"ic_bench_untouched_{os.getpid()}"
        env["DATABASE_URL"] = urlunsplit(
            urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{configured_name}")
        )
    else:
        env.pop("DATABASE_URL", None)
    bench = subprocess.Popen(
        [sys.executable, "manage.py", "bench_jobs", "--jobs", "3", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = bench.communicate(timeout=300)
    finally:
        if bench.poll() is None:
            bench.terminate()  # it stops its workers and drops its database on SIGTERM
            bench.communicate(timeout=60)
    assert bench.returncode == 0, stderr
    lines = stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])

    assert (result["jobs"], result["workers"]) == (3, 1)
    assert (result["succeeded"], result["failed"]) == (3, 0)
    assert result["database"] == ("postgresql" if POSTGRES else "sqlite")
    assert result["broker"] == (
        "redis" if settings.CELERY_BROKER_URL.startswith("redis") else "filesystem"
    )
    assert result["jobs_per_second"] > 0
    assert 0 < result["latency_median_seconds"] <= result["latency_p95_seconds"]
    assert 0 < result["kernel_median_seconds"] < result["latency_median_seconds"]
    assert 0 <= result["outside_kernel_median_seconds"] <= result["latency_median_seconds"]

    if POSTGRES:
        assert not _database_exists(env["DATABASE_URL"], configured_name)
        assert not _database_exists(env["DATABASE_URL"], f"bench_jobs_{bench.pid}")
    else:
        assert not configured_file.exists()
    # The scratch folder (SQLite file, queue, uploads, logs) is gone with the run.
    assert list((tmp_path / "tmp").iterdir()) == []
