"""The fault suite: each case of the hardening issue, on the run's runtime (PostgreSQL + Redis
in CI's first pass, SQLite + the filesystem broker in its second), most with real workers."""

from __future__ import annotations

import time

import pytest

from innovation_center.accounts.models import Membership
from innovation_center.evaluation import services
from innovation_center.evaluation.models import EvaluationJob
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def tenant(db):
    """A company owner with a grant, four devices and a digits model."""
    company = factories.company()
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    grant = factories.allocation(company, hours="50", device_cap=4)
    devices = factories.fleet(4)
    model = services.model_upload(
        company=company, actor=owner, name="digits", upload=upload(digits_model_bytes())
    )
    return {
        "company": company,
        "owner": owner,
        "grant": grant,
        "devices": devices,
        "model": model,
        "dataset": factories.builtin_dataset("digits"),
    }


def submit(tenant, *, devices: int = 2, allocation=None) -> EvaluationJob:
    return services.job_submit(
        company=tenant["company"],
        actor=tenant["owner"],
        model=tenant["model"],
        dataset=tenant["dataset"],
        allocation=allocation or tenant["grant"],
        devices=devices,
        batch_size=64,
    )


def wait_for(predicate, *, timeout: float, workers=None, every=None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if every:
            every()
        if predicate():
            return
        time.sleep(0.3)
    logs = workers.log() if workers else ""
    pytest.fail(f"timed out waiting for {what}; worker logs:\n{logs}")


def finished(job: EvaluationJob) -> bool:
    job.refresh_from_db()
    return job.status in EvaluationJob.FINISHED


def quick_workers(workers, *names: str) -> None:
    """Start workers whose shards beat twice a second and go stale after two seconds."""
    workers.env.update(SHARD_HEARTBEAT_SECONDS="0.5", SHARD_STALE_SECONDS="2")
    for name in names:
        workers.start(name)
    workers.wait_ready(*names)
