"""Real `celery worker` processes for tests, on the run's database and broker.

The test process publishes to the same broker (not eagerly): with Redis when
CELERY_BROKER_URL is set, else a filesystem queue in the test's temporary folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from innovation_center.celery import app

ROOT = Path(__file__).resolve().parents[1]
QUEUES = ("default", "evaluation")


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Start and stop real `celery worker` processes on the test database."""

    def __init__(self, tmp_path: Path):
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=database_url(),
            CELERY_FS_DIR=str(tmp_path / "celery"),
            JOB_STALE_SECONDS="4",
            SHARD_MIN_SECONDS="2",
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
        )
        self.logs = tmp_path
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115  (closed with the process)
        self.processes[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "innovation_center",
                "worker",
                "--queues",
                ",".join(QUEUES),
                "--concurrency",
                "1",
                "--hostname",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to kill it with its children
        )

    def wait_ready(self, *names: str, timeout: float = 90) -> None:
        """Wait until each worker has connected and says it is ready (else fail with its log)."""
        deadline = time.monotonic() + timeout
        for name in names:
            log = self.logs / f"{name}.log"
            while " ready." not in (log.read_text() if log.exists() else ""):
                if time.monotonic() > deadline or self.processes[name].poll() is not None:
                    pytest.fail(f"worker {name} did not start:\n{self.log()}")
                time.sleep(0.2)

    def kill(self, name: str) -> None:
        os.killpg(self.processes.pop(name).pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def log(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in self.logs.glob("*.log"))


def reset_broker_connections() -> None:
    # Publishing pools are created lazily from the configuration; drop them after changing it.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def workers(tmp_path):
    # This process publishes to the same broker as the workers, really (not eagerly).
    app.conf.task_always_eager = False
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = tmp_path / "celery"
        app.conf.broker_transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        }
        app.conf.result_backend = f"file://{folder / 'results'}"
        for part in ("queue", "processed", "results", "control"):
            (folder / part).mkdir(parents=True, exist_ok=True)
    reset_broker_connections()
    with app.connection_for_write() as conn:
        for queue in QUEUES:
            conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            conn.default_channel.queue_purge(queue)
    handle = Workers(tmp_path)
    yield handle
    handle.stop_all()
    reset_broker_connections()
