import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from innovation_center.accounts.models import Membership
from innovation_center.compute import ledger, services
from innovation_center.compute.models import Lease
from innovation_center.compute.scheduler import (
    estimated_start,
    queue_position,
    schedule_round,
)
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.services import job_cancel
from tests import factories

pytestmark = pytest.mark.django_db


def devices(count, **fields):
    return [factories.accelerator(**fields) for _ in range(count)]


def placed_jobs(placements):
    """The jobs of the placed workloads, in placement order (their ids differ: other tests
    create workloads without jobs, and a database's sequences are not rolled back)."""
    by_workload = dict(
        EvaluationJob.objects.filter(
            workload_id__in=[p.workload_id for p in placements]
        ).values_list("workload_id", "pk")
    )
    return [by_workload[p.workload_id] for p in placements]


def test_it_places_higher_priority_first():
    devices(1)
    grant = factories.allocation(factories.company())
    low = factories.job(grant, priority=0)
    high = factories.job(grant, priority=5)
    assert placed_jobs(schedule_round()) == [high.pk]
    low.refresh_from_db()
    assert low.status == EvaluationJob.Status.QUEUED


def test_it_gives_the_company_that_used_less_of_its_grant_the_first_turn():
    devices(1)
    heavy, light = (
        factories.allocation(factories.company()),
        factories.allocation(factories.company()),
    )
    past = factories.job(heavy)
    ledger.ledger_reserve(allocation=heavy, workload=past.workload, amount="500")
    ledger.ledger_settle(workload=past.workload, used="500")
    factories.job_set(past, status="succeeded")
    heavy_job = factories.job(heavy)
    light_job = factories.job(light)
    assert heavy_job.created_at < light_job.created_at
    assert placed_jobs(schedule_round()) == [light_job.pk]


def test_it_never_exceeds_the_allocation_device_cap():
    devices(6)
    grant = factories.allocation(factories.company(), device_cap=3)
    jobs = [factories.job(grant, devices_requested=2) for _ in range(3)]
    placements = schedule_round()
    assert placed_jobs(placements) == [jobs[0].pk]
    assert Lease.objects.filter(allocation=grant, ended_at__isnull=True).count() == 2


def test_it_binds_only_healthy_devices_of_the_allocation_type():
    other_type = factories.accelerator_type("sim-t4")
    [healthy, draining, failed] = devices(3)
    wrong_type = factories.accelerator(accelerator_type=other_type)
    staff = factories.center_staff(role=Membership.Role.CENTER_OPERATOR)
    services.accelerator_set_health(accelerator=draining, health="draining", actor=staff)
    services.accelerator_set_health(accelerator=failed, health="failed", actor=staff)
    grant = factories.allocation(factories.company())
    factories.job(grant, devices_requested=1)
    factories.job(grant, devices_requested=1)
    placements = schedule_round()
    bound = {d for p in placements for d in p.device_ids}
    assert bound == {healthy.pk}
    assert wrong_type.pk not in bound


def test_it_backfills_a_short_job_that_does_not_delay_a_blocked_large_one():
    [busy, free] = devices(2)
    grant = factories.allocation(factories.company(), device_cap=4)
    running = factories.job(grant, estimate_hours=Decimal("1"))  # 1 device-hour on 1 device
    Lease.objects.create(
        accelerator=busy, allocation=grant, workload=running.workload, started_at=timezone.now()
    )
    factories.job_set(running, status="running")
    large = factories.job(grant, devices_requested=2, priority=5, estimate_hours=Decimal("2"))
    short = factories.job(grant, devices_requested=1, estimate_hours=Decimal("0.5"))
    long = factories.job(grant, devices_requested=1, estimate_hours=Decimal("3"))
    placements = placed_jobs(schedule_round())
    # The large job waits for `busy` (free in ~1 h); the 30-minute job fits before that,
    # the 3-hour one would hold `free` past the large job's start and must wait.
    assert placements == [short.pk]
    assert large.pk not in placements and long.pk not in placements


def test_it_does_not_schedule_a_cancelled_or_inactive_allocation_job():
    devices(2)
    grant = factories.allocation(factories.company())
    expired = factories.allocation(factories.company(), status="expired")
    cancelled = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=cancelled.workload, amount="0.5")
    job_cancel(job=cancelled, actor=None)
    factories.job(expired)
    assert schedule_round() == []


def test_it_runs_a_fixed_number_of_queries_whatever_the_queue_length(django_assert_max_num_queries):
    devices(30)
    grants = [factories.allocation(factories.company(), device_cap=8) for _ in range(10)]
    for grant in grants:
        for _ in range(12):
            factories.job(grant, devices_requested=1)
    # Two of them are the evaluation side moving its jobs with the workloads placed.
    with django_assert_max_num_queries(14):
        placements = schedule_round()
    assert len(placements) == 30


def test_it_sends_a_not_yet_started_job_back_to_the_queue_when_its_device_fails():
    [device] = devices(1)
    grant = factories.allocation(factories.company())
    job = factories.job(grant)
    schedule_round()
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SCHEDULED
    staff = factories.center_staff(role=Membership.Role.CENTER_OPERATOR)
    requeued = services.accelerator_set_health(accelerator=device, health="failed", actor=staff)
    job.refresh_from_db()
    assert requeued == [job.workload_id] and job.status == EvaluationJob.Status.QUEUED
    assert not Lease.objects.filter(ended_at__isnull=True).exists()
    services.accelerator_set_health(accelerator=device, health="healthy", actor=staff)
    assert placed_jobs(schedule_round()) == [job.pk]


def test_it_tells_a_queued_job_its_position_and_estimated_start():
    [device] = devices(1)
    grant = factories.allocation(factories.company(), device_cap=2)
    running = factories.job(grant, estimate_hours=Decimal("2"))
    started = timezone.now()
    Lease.objects.create(
        accelerator=device, allocation=grant, workload=running.workload, started_at=started
    )
    factories.job_set(running, status="running")
    first = factories.job(grant, estimate_hours=Decimal("1"))
    second = factories.job(grant, estimate_hours=Decimal("1"))
    assert (queue_position(workload=first.workload), queue_position(workload=second.workload)) == (
        1,
        2,
    )
    start_first = estimated_start(workload=first.workload)
    start_second = estimated_start(workload=second.workload)
    assert abs(start_first - (started + dt.timedelta(hours=2))) < dt.timedelta(seconds=5)
    assert abs(start_second - (started + dt.timedelta(hours=3))) < dt.timedelta(seconds=5)
