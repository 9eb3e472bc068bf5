"""The sweeper's side of jobs: those whose worker went quiet, and those that can never run."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from innovation_center.compute import ledger, workloads
from innovation_center.compute.models import Allocation
from innovation_center.core import clock
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.services.submission import lock_job
from innovation_center.evaluation.services.worker import notify_submitter
from innovation_center.evaluation.signals import job_finished


def jobs_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Scheduled or running jobs whose worker has gone quiet: to be dispatched again."""
    now = now or clock.now()
    stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    return list(
        EvaluationJob.objects.filter(
            Q(status=EvaluationJob.Status.SCHEDULED, scheduled_at__lt=stale)
            | Q(status=EvaluationJob.Status.RUNNING, heartbeat_at__lt=stale)
        ).values_list("pk", flat=True)
    )


def _unrunnable_reason(job: EvaluationJob, today: dt.date) -> tuple[str, str] | None:
    """Why a queued job can never run (code, message), or None while it still may."""
    allocation = job.allocation
    if allocation.status == Allocation.Status.REVOKED:
        return "allocation_revoked", _(
            "Allocation #%(id)s was revoked before this job could start; the hours it "
            "reserved were released and written off with the allocation."
        ) % {"id": allocation.pk}
    if allocation.status == Allocation.Status.EXPIRED or allocation.ends_on <= today:
        return "allocation_expired", _(
            "Allocation #%(id)s ended on %(date)s before this job could start; the hours it "
            "reserved were released and written off with the allocation. Submit it again on "
            "an active allocation."
        ) % {"id": allocation.pk, "date": allocation.ends_on}
    return None


def jobs_end_unrunnable(*, now: dt.datetime | None = None) -> list[int]:
    """End the queued jobs that can never run, each once, with its reserve refunded.

    A queued job whose allocation expired or was revoked is cancelled with the reason (the
    refund lands on a dead allocation, so the ledger writes it off); a queued job whose
    cancel was requested (a cancel that raced a requeue) is cancelled as asked.
    Returns the ids it ended.
    """
    now = now or clock.now()
    today = clock.today(at=now)
    candidates = EvaluationJob.objects.filter(status=EvaluationJob.Status.QUEUED).filter(
        Q(cancel_requested=True)
        | Q(allocation__status__in=[Allocation.Status.EXPIRED, Allocation.Status.REVOKED])
        | Q(allocation__ends_on__lte=today)
    )
    ended = []
    for job_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            job = lock_job(job_id)
            if job is None or job.status != EvaluationJob.Status.QUEUED:
                continue
            # The owner's own cancel needs no reason; otherwise the allocation gives one.
            reason = ("", "") if job.cancel_requested else _unrunnable_reason(job, today)
            if reason is None:
                continue
            code, message = reason
            now = clock.now()
            if not EvaluationJob.objects.filter(
                pk=job.pk, status=EvaluationJob.Status.QUEUED
            ).update(
                status=EvaluationJob.Status.CANCELLED,
                cancel_requested=True,
                finished_at=now,
                error_code=code,
                error_message=message,
            ):
                continue
            ledger.ledger_settle(workload=job.workload, used=0)
            workloads.workload_finish(workload_id=job.workload_id, at=now)
            job.status = EvaluationJob.Status.CANCELLED
            job_finished.send(sender=EvaluationJob, job=job, status=job.status)
            if message:
                notify_submitter(job, EvaluationJob.Status.CANCELLED, message)
            ended.append(job.pk)
    return ended
