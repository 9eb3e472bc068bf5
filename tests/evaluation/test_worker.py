"""Jobs on real Celery worker processes (not eager): the broker and database of the run.

On PostgreSQL + Redis (CI) and on SQLite + the filesystem broker (a fresh machine) alike.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from innovation_center.accounts.models import Membership
from innovation_center.compute.selectors import allocation_balance
from innovation_center.evaluation import services
from innovation_center.evaluation.models import EvaluationJob, JobShard
from innovation_center.evaluation.tasks import jobs_sweep
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload
from tests.workers import Workers

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)
QUEUES = ("default", "evaluation")


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
