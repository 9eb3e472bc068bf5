"""Jobs on real Celery worker processes (not eager): the broker and database of the run.

On PostgreSQL + Redis (CI) and on SQLite + the filesystem broker (a fresh machine) alike.
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

from innovation_center.accounts.models import Membership
from innovation_center.celery import app
from innovation_center.compute.selectors import allocation_balance
from innovation_center.evaluation import services
from innovation_center.evaluation.models import EvaluationJob, JobShard
from innovation_center.evaluation.tasks import jobs_sweep
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)
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


@pytest.fixture
def company_setup():
    company = factories.company()
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    grant = factories.allocation(company, hours="50", device_cap=4)
    for _ in range(4):
        factories.accelerator()
    model = services.model_upload(
        company=company, actor=owner, name="digits", upload=upload(digits_model_bytes())
    )
    return company, owner, grant, model


def submit(company_setup, client) -> EvaluationJob:
    """Submit through the portal view, as a company owner would: the confirm step."""
    from django.urls import reverse

    company, owner, grant, model = company_setup
    client.force_login(owner)
    before = set(EvaluationJob.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("evaluation:job_submit"),
        {
            "company": company.pk,
            "model": model.pk,
            "dataset": factories.builtin_dataset("digits").pk,
            "allocation": grant.pk,
            "devices": 4,
            "batch_size": 128,
            "priority": 0,
            "step": "confirm",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [job] = EvaluationJob.objects.exclude(pk__in=before)
    assert response["Location"] == reverse("evaluation:job_detail", args=[job.pk])
    return job


def wait_for(predicate, *, timeout: float, workers: Workers, every=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if every:
            every()
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out; worker logs:\n{workers.log()}")


def finished(job):
    job.refresh_from_db()
    return job.status in EvaluationJob.FINISHED


def figures(job):
    result = job.result
    return (
        result.accuracy,
        result.mean_loss,
        result.confusion_matrix,
        result.device_seconds,
        result.hours_charged,
    )


def test_it_runs_one_job_across_two_workers_with_the_same_figures_as_on_one(
    workers, company_setup, client
):
    workers.start("w1")
    workers.start("w2")
    workers.wait_ready("w1", "w2")
    shared = submit(company_setup, client)
    wait_for(lambda: finished(shared), timeout=120, workers=workers)
    assert shared.status == EvaluationJob.Status.SUCCEEDED, shared.error_message
    hosts = {
        name.split("@")[0]
        for name in JobShard.objects.filter(job=shared).values_list("worker", flat=True)
    }
    assert hosts == {"w1", "w2"}

    workers.kill("w2")
    alone = submit(company_setup, client)
    wait_for(lambda: finished(alone), timeout=120, workers=workers)
    assert {
        n.split("@")[0] for n in JobShard.objects.filter(job=alone).values_list("worker", flat=True)
    } == {"w1"}
    assert figures(alone) == figures(shared)


def test_it_ends_a_job_once_after_its_worker_is_killed_mid_job(workers, company_setup, client):
    _company, _owner, grant, _model = company_setup
    workers.start("doomed")
    workers.wait_ready("doomed")
    job = submit(company_setup, client)

    def midway():
        # Kill while a shard is in flight, after at least one shard finished.
        job.refresh_from_db()
        in_flight = JobShard.objects.filter(job=job, status=JobShard.Status.RUNNING).exists()
        return job.status == EvaluationJob.Status.RUNNING and job.shards_done >= 1 and in_flight

    wait_for(midway, timeout=90, workers=workers)
    workers.kill("doomed")
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.RUNNING

    workers.start("rescuer")
    # Beat's sweep, sent by hand so the test need not wait a minute for the schedule.
    wait_for(lambda: finished(job), timeout=120, workers=workers, every=lambda: jobs_sweep.delay())
    assert job.status == EvaluationJob.Status.SUCCEEDED, job.error_message
    assert job.result.samples == 1797
    kinds = sorted(job.ledger_entries.values_list("kind", flat=True))
    assert kinds == ["charge", "refund", "reserve"]
    assert not job.leases.filter(ended_at__isnull=True).exists()
    assert allocation_balance(allocation=grant).reserved == 0
    assert JobShard.objects.filter(job=job, attempts__gte=2).exists()
