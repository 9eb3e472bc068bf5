"""The worker's steps of a job: claim, run the shards through the kernel, finish once."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import threading
import time
from contextlib import contextmanager, nullcontext
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center import kernel
from innovation_center.accounts.models import NotificationKind
from innovation_center.accounts.notifications import notify_users
from innovation_center.compute import ledger, workloads
from innovation_center.compute.models import Accelerator, DeviceOutage
from innovation_center.core import clock
from innovation_center.evaluation import provenance, runtime
from innovation_center.evaluation.models import (
    EvaluationJob,
    JobResult,
    JobShard,
)
from innovation_center.evaluation.services.submission import lock_job, wake_scheduler
from innovation_center.evaluation.signals import job_finished

logger = logging.getLogger(__name__)


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
        # A shard whose worker went quiet (killed mid-shard) runs again.
        JobShard.objects.filter(job=job, status=JobShard.Status.RUNNING).filter(
            _beat_stale(now)
        ).update(status=JobShard.Status.PENDING)
        return list(
            job.shards.filter(status=JobShard.Status.PENDING).values_list("index", flat=True)
        )


def _beat_stale(now: dt.datetime) -> Q:
    """Running shards whose worker has not beaten for SHARD_STALE_SECONDS: it is gone."""
    stale = now - dt.timedelta(seconds=settings.SHARD_STALE_SECONDS)
    return Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)


def worker_name(hostname: str) -> str:
    """Who runs a shard: the Celery worker and its process (the pool's children share the
    hostname; a retry in the same process may take its own claim back)."""
    return f"{hostname}/{os.getpid()}"[:200]


def _claim_shard(shard: JobShard, now: dt.datetime, worker: str) -> bool:
    """Take a pending shard, or a running one whose worker is gone or is this process."""
    claim = {
        "attempts": F("attempts") + 1,
        "started_at": now,
        "heartbeat_at": now,
        "worker": worker,
    }
    running = JobShard.objects.filter(pk=shard.pk, status=JobShard.Status.RUNNING)
    return bool(
        JobShard.objects.filter(pk=shard.pk, status=JobShard.Status.PENDING).update(
            status=JobShard.Status.RUNNING, **claim
        )
        or running.filter(_beat_stale(now) | Q(worker=worker)).update(**claim)
    )


@contextmanager
def _beating(*, shard_id: int, job_id: int, worker: str):
    """Beat the shard's and the job's heartbeat every SHARD_HEARTBEAT_SECONDS while the
    block runs, from a thread with its own database connection."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.SHARD_HEARTBEAT_SECONDS):
                now = clock.now()
                JobShard.objects.filter(
                    pk=shard_id, status=JobShard.Status.RUNNING, worker=worker
                ).update(heartbeat_at=now)
                EvaluationJob.objects.filter(pk=job_id, status=EvaluationJob.Status.RUNNING).update(
                    heartbeat_at=now
                )
        except DatabaseError as error:  # a missed beat only makes a takeover come sooner
            logger.warning("heartbeat of shard %s stopped: %s", shard_id, error)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"shard-{shard_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _failed_during(device: Accelerator, since: dt.datetime) -> bool:
    """Did the device fail at any moment since `since` (even if it is back in service)?"""
    return (
        DeviceOutage.objects.filter(
            accelerator_id=device.pk,
            health=Accelerator.Health.FAILED,
            started_at__lte=clock.now(),
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .exists()
    )


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


def _run_on_devices(
    job: EvaluationJob, shard: JobShard, failed: list[str], since: dt.datetime
) -> kernel.ShardResult:
    """Run the shard on its device, else on the job's next one; appends to `failed` each
    device that failed before or while it ran.

    The rule for a device that fails while its shard runs (one place): the figures it gave
    are not trusted, the shard is redone on another of the job's devices, and the device is
    listed among the shard's failed devices. No device left: DeviceFailed.
    """
    model = runtime.load_model_artifact(job.model)
    data = runtime.load_dataset_row(job.dataset)
    X = data.X[shard.row_start : shard.row_stop]
    y = data.y[shard.row_start : shard.row_stop]
    per_device_batch = max(1, math.ceil(job.batch_size / max(job.devices_requested, 1)))
    devices = _shard_devices(job, shard)
    if shard.accelerator_id not in {d.pk for d in devices}:
        # Its own device failed (and lost its lease) before the shard could start on it.
        own = Accelerator.objects.filter(pk=shard.accelerator_id).first()
        if own and own.health == Accelerator.Health.FAILED and own.name not in failed:
            failed.append(own.name)
    for device in devices:
        started = time.monotonic()
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
                shard_index=shard.index,
            )
        except kernel.DeviceFailed:
            failed.append(device.name)
            continue
        # Demos and drills can make a shard last a while, to watch progress and failures.
        remaining = settings.SHARD_MIN_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        if _failed_during(device, since):
            failed.append(device.name)
            continue
        result.failed_attempts = [f for f in failed if f != device.name]
        return result
    raise kernel.DeviceFailed(
        "no_healthy_device", shard=shard.index, failed=", ".join(failed) or "-"
    )


def shard_execute(*, job_id: int, index: int, worker: str = "", heartbeat: bool = False) -> str:
    """Run one shard through the kernel on its device; retry on another device if it failed.

    Returns what happened: done, skipped, cancelled, failed, or busy (another live worker
    holds it: the caller may try again once that worker's beat could have gone stale).
    `heartbeat` beats while it runs (real workers; eager runs in tests have no one to tell).
    """
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
        ).update(status=JobShard.Status.CANCELLED, finished_at=clock.now())
        _finish_when_complete(job_id)
        return "cancelled"
    since = clock.now()
    if not _claim_shard(shard, since, worker):
        return "busy" if shard.status == JobShard.Status.RUNNING else "skipped"
    failed = list(shard.failed_devices)
    beating = _beating(shard_id=shard.pk, job_id=job_id, worker=worker) if heartbeat else None
    try:
        with beating or nullcontext():
            result = _run_on_devices(job, shard, failed, since)
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
    # The done mark and the job's progress commit together, so progress never lags behind.
    with transaction.atomic():
        now = clock.now()
        if JobShard.objects.filter(pk=shard.pk, status=JobShard.Status.RUNNING).update(
            status=JobShard.Status.DONE,
            result=result.to_dict(),
            failed_devices=failed,
            accelerator=Accelerator.objects.filter(name=result.device_id).values("pk")[:1],
            finished_at=now,
            heartbeat_at=now,
        ):
            EvaluationJob.objects.filter(pk=job_id).update(
                shards_done=F("shards_done") + 1, heartbeat_at=now
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
    with transaction.atomic():
        job = lock_job(job_id)
        if job.status in EvaluationJob.FINISHED:
            return job.status
        # The clock is read under the lock, so the leases this ends never overlap the next
        # ones on the same devices (the scheduler reads its clock after it saw them free).
        now = clock.now()
        shards = list(job.shards.all())
        if any(s.status in (JobShard.Status.PENDING, JobShard.Status.RUNNING) for s in shards):
            return None
        done = [
            kernel.ShardResult.from_dict(s.result)
            for s in shards
            if s.status == JobShard.Status.DONE
        ]
        failed = [s for s in shards if s.status == JobShard.Status.FAILED]
        fields = {
            "finished_at": now,
            "heartbeat_at": now,
            "shards_done": sum(1 for s in shards if s.status == JobShard.Status.DONE),
        }
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
                        energy_joules=combined.energy_joules_total,
                        provenance=_provenance(job, shards),
                    )
            except IntegrityError:
                pass  # a previous attempt stored it before failing to commit the rest
        workloads.workload_finish(workload_id=job.workload_id, at=now)
        ended = EvaluationJob.objects.filter(
            pk=job.pk, status__in=[EvaluationJob.Status.SCHEDULED, EvaluationJob.Status.RUNNING]
        ).update(status=status, **fields)
        if ended:
            job.status = status
            job_finished.send(sender=EvaluationJob, job=job, status=status)
            if status != EvaluationJob.Status.CANCELLED:
                notify_submitter(job, status, fields.get("error_message", ""))
        wake_scheduler()
    return status


def _provenance(job: EvaluationJob, shards: list[JobShard]) -> dict:
    """The result's reproducibility record, on the device class its first shard ran on."""
    first = min(shards, key=lambda s: s.index)
    device = (
        Accelerator.objects.select_related("accelerator_type")
        .filter(pk=first.accelerator_id)
        .first()
    )
    device_type = (
        device.accelerator_type if device else runtime.allocation_device_type(job.allocation)
    )
    return provenance.record(
        job=job,
        spec=runtime.device_spec(device_type),
        device_class=device_type.name,
        shards=shards,
    )


def notify_submitter(job: EvaluationJob, status: str, error: str) -> None:
    """The person who submitted the job hears how it ended (in-app, and by e-mail)."""
    if job.submitted_by is None:
        return
    succeeded = status == EvaluationJob.Status.SUCCEEDED
    cancelled = status == EvaluationJob.Status.CANCELLED

    def compose() -> tuple[str, str]:
        names = {"id": job.pk, "model": job.model.name, "dataset": job.dataset.name}
        if succeeded:
            return (
                _("Job #%(id)s finished") % names,
                _("Your evaluation of %(model)s on %(dataset)s finished; the result is ready.")
                % names,
            )
        if cancelled:
            return (
                _("Job #%(id)s was cancelled") % names,
                _("Your evaluation of %(model)s on %(dataset)s was cancelled: %(error)s")
                % {**names, "error": error},
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
