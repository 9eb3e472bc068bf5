"""The worker's steps of a job: claim, run the shards through the kernel, finish once."""

from __future__ import annotations

import datetime as dt
import math
import time
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center import kernel
from innovation_center.accounts.models import NotificationKind
from innovation_center.accounts.notifications import notify_users
from innovation_center.compute import ledger, workloads
from innovation_center.compute.models import Accelerator
from innovation_center.core import clock
from innovation_center.evaluation import runtime
from innovation_center.evaluation.models import (
    EvaluationJob,
    JobResult,
    JobShard,
)
from innovation_center.evaluation.services.submission import lock_job, wake_scheduler


def job_start(*, job_id: int) -> list[int] | None:
    """Claim a scheduled job (or resume a running one) and plan one shard per leased device.

    Returns the indices of shards still to run, or None when there is nothing to do.
    """
    now = clock.now()
    with transaction.atomic():
        job = lock_job(job_id)
        if (
            job is None
            or job.status in EvaluationJob.FINISHED
            or job.status == EvaluationJob.Status.QUEUED
        ):
            return None
        if job.status == EvaluationJob.Status.SCHEDULED:
            if EvaluationJob.objects.filter(
                pk=job.pk, status=EvaluationJob.Status.SCHEDULED
            ).update(status=EvaluationJob.Status.RUNNING, started_at=now, heartbeat_at=now):
                workloads.workload_start(workload_id=job.workload_id)
        if not job.shards.exists():
            devices = workloads.workload_devices(workload_id=job.workload_id)
            if not devices:
                return []  # nothing bound any more; finishing will sort it out
            bounds = np.array_split(np.arange(job.dataset.n_samples), len(devices))
            JobShard.objects.bulk_create(
                [
                    JobShard(
                        job=job,
                        index=i,
                        row_start=int(rows[0]),
                        row_stop=int(rows[-1]) + 1,
                        accelerator_id=device,
                    )
                    for i, (rows, device) in enumerate(zip(bounds, devices, strict=True))
                    if len(rows)
                ]
            )
            EvaluationJob.objects.filter(pk=job.pk).update(shards_total=job.shards.count())
        stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
        # A shard whose worker went quiet (killed mid-shard) runs again.
        JobShard.objects.filter(
            job=job, status=JobShard.Status.RUNNING, started_at__lt=stale
        ).update(status=JobShard.Status.PENDING)
        return list(
            job.shards.filter(status=JobShard.Status.PENDING).values_list("index", flat=True)
        )


def _claim_shard(shard: JobShard, now: dt.datetime, worker: str) -> bool:
    stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimed = JobShard.objects.filter(pk=shard.pk, status=JobShard.Status.PENDING).update(
        status=JobShard.Status.RUNNING, attempts=F("attempts") + 1, started_at=now, worker=worker
    ) or JobShard.objects.filter(
        pk=shard.pk, status=JobShard.Status.RUNNING, started_at__lt=stale
    ).update(attempts=F("attempts") + 1, started_at=now, worker=worker)
    return bool(claimed)


def _shard_devices(job: EvaluationJob, shard: JobShard) -> list[Accelerator]:
    """The shard's device first, then the job's other leased healthy devices (for retries)."""
    leased = list(
        Accelerator.objects.filter(
            leases__workload_id=job.workload_id, leases__ended_at__isnull=True
        )
        .select_related("accelerator_type")
        .order_by("name")
    )
    leased.sort(key=lambda device: device.pk != shard.accelerator_id)
    return [d for d in leased if d.name not in shard.failed_devices]


def shard_execute(*, job_id: int, index: int, worker: str = "") -> str:
    """Run one shard through the kernel on its device; retry on another device if it failed.

    Returns what happened: done, skipped, cancelled or failed.
    """
    now = clock.now()
    shard = JobShard.objects.select_related("job__model", "job__dataset").get(
        job_id=job_id, index=index
    )
    job = shard.job
    if shard.status in (JobShard.Status.DONE, JobShard.Status.FAILED, JobShard.Status.CANCELLED):
        return "skipped"
    if job.status in EvaluationJob.FINISHED:
        return "skipped"
    if (
        job.cancel_requested
        or EvaluationJob.objects.filter(pk=job.pk, cancel_requested=True).exists()
    ):
        JobShard.objects.filter(
            pk=shard.pk, status__in=[JobShard.Status.PENDING, JobShard.Status.RUNNING]
        ).update(status=JobShard.Status.CANCELLED, finished_at=now)
        _finish_when_complete(job_id)
        return "cancelled"
    if not _claim_shard(shard, now, worker):
        return "skipped"
    failed = list(shard.failed_devices)
    started = time.monotonic()
    try:
        model = runtime.load_model_artifact(job.model)
        data = runtime.load_dataset_row(job.dataset)
        X = data.X[shard.row_start : shard.row_stop]
        y = data.y[shard.row_start : shard.row_stop]
        per_device_batch = max(1, math.ceil(job.batch_size / max(job.devices_requested, 1)))
        result = None
        for device in _shard_devices(job, shard):
            handle = kernel.DeviceHandle(
                device_id=device.name,
                spec=runtime.device_spec(device.accelerator_type),
                failed=device.health == Accelerator.Health.FAILED,
            )
            try:
                result = kernel.evaluate_shard(
                    model=model,
                    X=X,
                    y=y,
                    device=handle,
                    batch_size=per_device_batch,
                    shard_index=index,
                )
            except kernel.DeviceFailed:
                failed.append(device.name)
                continue
            result.failed_attempts = [f for f in failed if f != device.name]
            break
        # Demos and drills can make a shard last a while, to watch progress and failures.
        remaining = settings.SHARD_MIN_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        if result is None:
            raise kernel.DeviceFailed(
                "no_healthy_device", shard=index, failed=", ".join(failed) or "-"
            )
    except kernel.KernelError as error:
        JobShard.objects.filter(pk=shard.pk, status=JobShard.Status.RUNNING).update(
            status=JobShard.Status.FAILED,
            failed_devices=failed,
            error_code=error.code,
            error_message=runtime.kernel_error_text(error),
            finished_at=clock.now(),
        )
        _finish_when_complete(job_id)
        return "failed"
    done = JobShard.objects.filter(pk=shard.pk, status=JobShard.Status.RUNNING).update(
        status=JobShard.Status.DONE,
        result=result.to_dict(),
        failed_devices=failed,
        accelerator=Accelerator.objects.filter(name=result.device_id).values("pk")[:1],
        finished_at=clock.now(),
    )
    if done:
        EvaluationJob.objects.filter(pk=job_id).update(
            shards_done=F("shards_done") + 1, heartbeat_at=clock.now()
        )
    _finish_when_complete(job_id)
    return "done"


def _finish_when_complete(job_id: int) -> None:
    if not JobShard.objects.filter(
        job_id=job_id, status__in=[JobShard.Status.PENDING, JobShard.Status.RUNNING]
    ).exists():
        job_finish(job_id=job_id)


def job_finish(*, job_id: int) -> str | None:
    """End a job once: result, one charge and one refund, leases released, scheduler woken.

    Safe to call any number of times, from any worker: the first call that finds every shard
    settled does the work under a row lock; the others return the status it set.
    """
    now = clock.now()
    with transaction.atomic():
        job = lock_job(job_id)
        if job.status in EvaluationJob.FINISHED:
            return job.status
        shards = list(job.shards.all())
        if any(s.status in (JobShard.Status.PENDING, JobShard.Status.RUNNING) for s in shards):
            return None
        done = [
            kernel.ShardResult.from_dict(s.result)
            for s in shards
            if s.status == JobShard.Status.DONE
        ]
        failed = [s for s in shards if s.status == JobShard.Status.FAILED]
        fields = {"finished_at": now, "heartbeat_at": now}
        if failed:
            status = EvaluationJob.Status.FAILED
            fields.update(error_code=failed[0].error_code, error_message=failed[0].error_message)
            used = sum(r.device_seconds for r in done)
        elif job.cancel_requested or not shards:
            status = EvaluationJob.Status.CANCELLED
            if not shards and not job.cancel_requested:
                status = EvaluationJob.Status.FAILED
                fields.update(
                    error_code="no_devices",
                    error_message=_(
                        "The job lost its devices before it could start. Submit it again."
                    ),
                )
            used = sum(r.device_seconds for r in done)
        else:
            status = EvaluationJob.Status.SUCCEEDED
            combined = kernel.combine(done, classes=job.model.classes)
            used = combined.device_seconds_total
        settlement = ledger.ledger_settle(
            workload=job.workload, used=ledger.hours_from_seconds(used)
        )
        if status == EvaluationJob.Status.SUCCEEDED:
            try:
                with transaction.atomic():
                    JobResult.objects.create(
                        job=job,
                        accuracy=combined.accuracy,
                        mean_loss=combined.mean_loss,
                        samples=combined.samples,
                        correct=combined.correct,
                        confusion_matrix=combined.confusion_matrix,
                        samples_per_second=combined.samples_per_s,
                        device_seconds=Decimal(str(round(combined.device_seconds_total, 6))),
                        wall_seconds=combined.wall_seconds,
                        hours_charged=settlement.charged,
                        per_device=combined.per_device,
                    )
            except IntegrityError:
                pass  # a previous attempt stored it before failing to commit the rest
        workloads.workload_finish(workload_id=job.workload_id, at=now)
        ended = EvaluationJob.objects.filter(
            pk=job.pk, status__in=[EvaluationJob.Status.SCHEDULED, EvaluationJob.Status.RUNNING]
        ).update(status=status, **fields)
        if ended and status != EvaluationJob.Status.CANCELLED:
            _notify_submitter(job, status, fields.get("error_message", ""))
        wake_scheduler()
    return status


def _notify_submitter(job: EvaluationJob, status: str, error: str) -> None:
    """The person who submitted the job hears how it ended (in-app, and by e-mail)."""
    if job.submitted_by is None:
        return
    succeeded = status == EvaluationJob.Status.SUCCEEDED

    def compose() -> tuple[str, str]:
        names = {"id": job.pk, "model": job.model.name, "dataset": job.dataset.name}
        if succeeded:
            return (
                _("Job #%(id)s finished") % names,
                _("Your evaluation of %(model)s on %(dataset)s finished; the result is ready.")
                % names,
            )
        return (
            _("Job #%(id)s failed") % names,
            _("Your evaluation of %(model)s on %(dataset)s failed: %(error)s")
            % {**names, "error": error or _("no reason was given")},
        )

    notify_users(
        users=[job.submitted_by],
        kind=NotificationKind.JOB_FINISHED if succeeded else NotificationKind.JOB_FAILED,
        compose=compose,
        url=reverse("evaluation:job_detail", args=[job.pk]),
    )


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
