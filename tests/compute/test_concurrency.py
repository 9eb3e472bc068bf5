"""Races that only a real database can show: run on PostgreSQL (CI sets DATABASE_URL)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from innovation_center.compute import ledger, services
from innovation_center.compute.models import Allocation, AllocationRequest, Lease
from innovation_center.compute.scheduler import schedule_round
from innovation_center.compute.selectors import allocation_balance
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and SKIP LOCKED need PostgreSQL; CI runs this on PostgreSQL")


def run_at_once(workers: int, target) -> list:
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as error:  # noqa: BLE001  (the test inspects what each thread got)
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_it_never_lets_simultaneous_admissions_overspend():
    grant = factories.allocation(factories.company(), hours="10")
    jobs = [factories.job(grant) for _ in range(8)]

    results = run_at_once(
        8,
        lambda i: ledger.ledger_reserve(
            allocation=grant, workload=jobs[i].workload, amount=Decimal("3")
        ),
    )

    admitted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(admitted) == 3 and len(refused) == 5, results
    assert allocation_balance(allocation=grant).available == Decimal("1")


def test_it_settles_once_when_two_workers_finish_the_same_job():
    grant = factories.allocation(factories.company(), hours="10")
    job = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="4")

    results = run_at_once(
        4, lambda i: ledger.ledger_settle(workload=job.workload, used=Decimal("1"))
    )

    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(1 for r in results if not r.repeated) == 1
    assert job.ledger_entries.filter(kind="charge").count() == 1
    assert allocation_balance(allocation=grant).available == Decimal("9")


def test_it_never_binds_one_device_twice_with_parallel_schedulers():
    devices = [factories.accelerator() for _ in range(6)]
    grants = [
        factories.allocation(factories.company(), hours="1000", device_cap=6) for _ in range(4)
    ]
    for grant in grants:
        for _ in range(5):
            factories.job(grant, devices_requested=1)

    rounds = run_at_once(4, lambda i: schedule_round())

    assert all(not isinstance(r, Exception) for r in rounds), rounds
    # Rounds that skipped each other's locked rows leave work for the next round.
    rounds.append(schedule_round())
    active = list(
        Lease.objects.filter(ended_at__isnull=True).values_list("accelerator_id", flat=True)
    )
    assert len(active) == len(set(active)) == len(devices)
    placed = [p.workload_id for placements in rounds for p in placements]
    assert len(placed) == len(set(placed)) == len(devices)


def test_two_reviewers_approving_at_once_never_exceed_the_pool():
    devices = [factories.accelerator() for _ in range(2)]
    reviewers = [factories.center_staff(f"reviewer{i}") for i in range(2)]
    today = clock.today()
    requests = [
        AllocationRequest.objects.create(
            company=factories.company(),
            accelerator_type=devices[0].accelerator_type,
            hours=Decimal("600"),
            device_cap=2,
            starts_on=today,
            ends_on=today + dt.timedelta(days=20),  # 2 × 24 × 20 = 960 h in the pool
            purpose="Race",
        )
        for _ in range(2)
    ]

    results = run_at_once(
        2,
        lambda i: services.allocation_request_approve(request=requests[i], actor=reviewers[i]),
    )

    granted = [r for r in results if isinstance(r, Allocation)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(granted) == 1 and len(refused) == 1, results
    assert refused[0].code == "over_capacity"
    assert sum(a.hours_granted for a in Allocation.objects.all()) == Decimal("600")
