"""Jobs stuck forever and hours that come back after the end (hardening issue, faults 1–2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from innovation_center.accounts.models import Notification
from innovation_center.compute import allocations
from innovation_center.compute.models import Allocation, LedgerEntry
from innovation_center.compute.scheduler import schedule_round
from innovation_center.compute.selectors import allocation_balance
from innovation_center.compute.services import allocations_advance
from innovation_center.evaluation import services
from innovation_center.evaluation.models import EvaluationJob, JobShard
from innovation_center.evaluation.tasks import jobs_sweep
from tests.faults.conftest import submit

pytestmark = pytest.mark.django_db


def test_a_queued_job_on_a_revoked_allocation_is_cancelled_with_its_reserve_written_off(
    tenant, staff
):
    job = submit(tenant)
    grant = tenant["grant"]
    allocations.allocation_revoke(allocation=grant, actor=staff, reason="Policy breach")
    assert allocation_balance(allocation=grant).reserved > 0

    assert jobs_sweep() == []  # it re-dispatches none; it ended the queued one
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.CANCELLED
    assert job.error_code == "allocation_revoked"
    assert f"Allocation #{grant.pk} was revoked" in job.error_message
    balance = allocation_balance(allocation=grant)
    assert (balance.available, balance.reserved) == (Decimal(0), Decimal(0))
    kinds = list(job.ledger_entries.values_list("kind", flat=True).order_by("id"))
    assert kinds == ["reserve", "charge", "refund"]
    # The refund landed on a dead allocation: a write-off row takes it straight back.
    assert grant.ledger_entries.filter(kind=LedgerEntry.Kind.REVOCATION).count() == 2
    assert Notification.objects.filter(user=tenant["owner"], subject__contains="cancelled")
    # Once is once.
    assert services.jobs_end_unrunnable() == []


def test_a_queued_job_on_an_expired_allocation_is_cancelled_and_nothing_comes_back(tenant):
    job = submit(tenant)
    grant = tenant["grant"]
    with time_machine.travel(dt.datetime.combine(grant.ends_on, dt.time(1)), tick=False):
        allocations_advance()
        grant.refresh_from_db()
        assert grant.status == Allocation.Status.EXPIRED
        jobs_sweep()
    job.refresh_from_db()
    assert (job.status, job.error_code) == (EvaluationJob.Status.CANCELLED, "allocation_expired")
    balance = allocation_balance(allocation=grant)
    assert (balance.available, balance.reserved) == (Decimal(0), Decimal(0))


def test_a_cancel_that_raced_a_requeue_still_ends_the_job(tenant):
    # The state a cancel left when the job moved scheduled → queued under it: queued, with
    # its cancel requested. The scheduler skips it; the sweeper must end it.
    job = submit(tenant)
    EvaluationJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    jobs_sweep()
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.CANCELLED
    assert job.error_code == ""  # the owner's own cancel: no alarming reason
    assert allocation_balance(allocation=tenant["grant"]).reserved == 0


def test_cancel_is_one_update_over_queued_and_scheduled(tenant):
    job = submit(tenant)
    schedule_round()
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SCHEDULED
    services.job_cancel(job=job, actor=tenant["owner"])
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.CANCELLED
    assert not job.leases.filter(ended_at__isnull=True).exists()


def test_a_refund_after_expiry_is_written_off(tenant):
    job = submit(tenant)
    schedule_round()
    pending = services.job_start(job_id=job.pk)
    assert pending
    grant = tenant["grant"]
    with time_machine.travel(dt.datetime.combine(grant.ends_on, dt.time(1)), tick=False):
        allocations_advance()
    assert allocation_balance(allocation=grant).available == 0
    for index in pending:
        services.shard_execute(job_id=job.pk, index=index)
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SUCCEEDED
    balance = allocation_balance(allocation=grant)
    assert (balance.available, balance.reserved) == (Decimal(0), Decimal(0))
    assert job.ledger_entries.filter(kind=LedgerEntry.Kind.REFUND).exists()


def test_the_admin_revokes_through_the_service_and_cannot_edit_the_status(tenant, client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    grant = tenant["grant"]
    page = client.get(reverse("admin:compute_allocation_change", args=[grant.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    response = client.post(
        reverse("admin:compute_allocation_changelist"),
        {"action": "revoke", "_selected_action": [grant.pk]},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == Allocation.Status.REVOKED
    assert grant.ledger_entries.filter(kind=LedgerEntry.Kind.REVOCATION).exists()
    assert allocation_balance(allocation=grant).available == 0


def test_progress_is_derived_when_the_job_finishes(tenant):
    job = submit(tenant)
    schedule_round()
    for index in services.job_start(job_id=job.pk):
        services.shard_execute(job_id=job.pk, index=index)
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SUCCEEDED
    done = JobShard.objects.filter(job=job, status=JobShard.Status.DONE).count()
    assert job.shards_done == job.shards_total == done == 2
