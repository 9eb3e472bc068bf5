"""Faults with real worker processes (hardening issue): a device that fails under a running
shard, a worker process killed mid-shard, and the embedded default under a burst of submits
and cancels. On the run's runtime: PostgreSQL + Redis, or SQLite + the filesystem broker."""

from __future__ import annotations

import os
import signal
from collections import defaultdict
from pathlib import Path

import pytest
from django.db.models import F
from rest_framework.test import APIClient

from innovation_center.compute import services as compute_services
from innovation_center.compute.models import Accelerator, Lease, LedgerEntry
from innovation_center.evaluation.models import EvaluationJob, JobShard
from tests.faults.conftest import finished, quick_workers, submit, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def shard_running(job, index: int = 0) -> JobShard | None:
    """The shard, once its worker is inside the run (it has beaten since it claimed it)."""
    return JobShard.objects.filter(
        job=job, index=index, status=JobShard.Status.RUNNING, heartbeat_at__gt=F("started_at")
    ).first()


def test_a_shard_whose_device_fails_while_it_runs_is_redone_on_another(workers, tenant, staff):
    quick_workers(workers, "w1")
    job = submit(tenant, devices=2)
    wait_for(lambda: shard_running(job) is not None, timeout=90, workers=workers, what="shard 0")
    shard = shard_running(job)
    device = Accelerator.objects.get(pk=shard.accelerator_id)
    compute_services.accelerator_set_health(
        accelerator=device, health=Accelerator.Health.FAILED, actor=staff, note="drill"
    )
    wait_for(lambda: finished(job), timeout=120, workers=workers, what="the job")
    assert job.status == EvaluationJob.Status.SUCCEEDED, job.error_message
    shard.refresh_from_db()
    assert device.name in shard.failed_devices
    assert shard.accelerator_id != device.pk
    assert device.name not in {row["device_id"] for row in job.result.per_device}
    assert job.result.samples == 1797


def _pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in children.read_text().split()] if children.exists() else []


def test_a_shard_of_a_killed_worker_process_is_taken_over_without_the_sweeper(workers, tenant):
    quick_workers(workers, "w1")
    job = submit(tenant, devices=2)
    wait_for(lambda: shard_running(job) is not None, timeout=90, workers=workers, what="a shard")
    main = workers.processes["w1"].pid
    for child in _pool_children(main):
        os.kill(child, signal.SIGKILL)  # the pool process running the shard, mid-shard
    # No jobs_sweep here: the requeued message takes the shard over once its beat is stale.
    wait_for(lambda: finished(job), timeout=90, workers=workers, what="the job")
    assert job.status == EvaluationJob.Status.SUCCEEDED, job.error_message
    assert JobShard.objects.filter(job=job, attempts__gte=2).exists()
    kinds = sorted(job.ledger_entries.values_list("kind", flat=True))
    assert kinds == ["charge", "refund", "reserve"]


def test_a_burst_of_submits_and_cancels_ends_every_job_once(workers, tenant):
    """The embedded default's scenario: 20 quick API submits and 5 cancels while two
    workers run: no error, no stall (no sweeper), no overlapping leases, a clean ledger."""
    quick_workers(workers, "w1", "w2")
    client = APIClient()
    client.force_authenticate(tenant["owner"])
    body = {
        "model": tenant["model"].pk,
        "dataset": tenant["dataset"].pk,
        "allocation": tenant["grant"].pk,
        "devices": 2,
        "batch_size": 64,
    }
    answers = [client.post("/api/v1/jobs/", body, format="json") for _ in range(20)]
    assert [a.status_code for a in answers] == [201] * 20, [a.content for a in answers]
    ids = [a.json()["id"] for a in answers]
    cancels = [client.post(f"/api/v1/jobs/{job_id}/cancel/") for job_id in ids[::4]]
    assert [c.status_code for c in cancels] == [200] * 5, [c.content for c in cancels]

    jobs = EvaluationJob.objects.filter(pk__in=ids)
    wait_for(
        lambda: jobs.exclude(status__in=EvaluationJob.FINISHED).count() == 0,
        timeout=240,
        workers=workers,
        what="every job to end",
    )
    assert "database is locked" not in workers.log()
    assert jobs.filter(status=EvaluationJob.Status.SUCCEEDED).count() >= 15
    for job in jobs:
        kinds = sorted(job.ledger_entries.values_list("kind", flat=True))
        assert kinds in (["charge", "refund", "reserve"], ["charge", "reserve"]), (job.pk, kinds)
    assert (
        not LedgerEntry.objects.filter(workload__isnull=False, reserved__gt=0)
        .exclude(kind=LedgerEntry.Kind.RESERVE)
        .exists()
    )
    by_device = defaultdict(list)
    for lease in Lease.objects.order_by("started_at"):
        by_device[lease.accelerator_id].append(lease)
    for leases in by_device.values():
        for before, after in zip(leases, leases[1:], strict=False):
            assert before.ended_at is not None and before.ended_at <= after.started_at
