"""Evaluation: uploads, job submission and cancel, and the worker's steps of a job.

A job's life: queued (hours reserved) → scheduled (leases bound by the scheduler) →
running (one shard per device, each a task) → succeeded | failed | cancelled. The database
row is the truth; Celery messages only nudge. Every step is a conditional update, so a
retried or duplicated task changes nothing twice, and finishing settles the ledger once.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from innovation_center import kernel
from innovation_center.accounts.services import audit_record
from innovation_center.compute import ledger
from innovation_center.compute.models import Accelerator, Allocation, Lease
from innovation_center.compute.selectors import allocation_balance
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation import runtime
from innovation_center.evaluation.models import (
    Dataset,
    EvaluationJob,
    JobResult,
    JobShard,
    ModelArtifact,
)

# The reserve covers the estimate plus a margin for retries on slower devices.
RESERVE_MARGIN = Decimal("1.10")
MAX_PRIORITY = 10


def _kernel_failure(error: kernel.KernelError, field: str) -> ApplicationError:
    message = runtime.kernel_error_text(error)
    return ApplicationError(message, code=error.code, field_errors={field: [message]})


def _upload_bytes(upload) -> bytes:
    data = runtime.read_upload(upload)
    if len(data) > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES / 2**20
        message = _("The file is larger than the %(limit)d MiB limit.") % {"limit": limit}
        raise ApplicationError(message, code="too_large", field_errors={"file": [message]})
    if not data:
        message = _("The file is empty.")
        raise ApplicationError(message, code="empty", field_errors={"file": [message]})
    return data


def _check_name(model_class, company, name: str) -> str:
    name = (name or "").strip()
    if not name:
        message = _("Give it a name.")
        raise ApplicationError(message, field_errors={"name": [message]})
    if model_class.objects.filter(company=company, name=name).exists():
        message = _("Your company already has one named “%(name)s”; choose another name.") % {
            "name": name
        }
        raise ApplicationError(message, code="duplicate_name", field_errors={"name": [message]})
    return name


@transaction.atomic
def model_upload(*, company, actor, name: str, upload) -> ModelArtifact:
    """Validate an uploaded model with the kernel (never unpickled or executed) and store it."""
    name = _check_name(ModelArtifact, company, name)
    data = _upload_bytes(upload)
    try:
        spec = kernel.load_model(source=data, max_bytes=settings.MAX_UPLOAD_BYTES)
    except kernel.KernelError as error:
        raise _kernel_failure(error, "file") from None
    fmt = ModelArtifact.Format.NPZ if data[:4] == b"PK\x03\x04" else ModelArtifact.Format.ONNX
    artifact = ModelArtifact(
        company=company,
        uploaded_by=actor,
        name=name,
        format=fmt,
        size_bytes=len(data),
        sha256=runtime.sha256(data),
        input_dim=spec.input_dim,
        classes=spec.describe()["classes"],
        layer_summary=spec.summary()[:500],
        parameter_count=spec.parameter_count,
        flops_per_sample=spec.flops_per_sample,
    )
    artifact.file.save(f"model.{fmt}", ContentFile(data), save=False)
    artifact.save()
    audit_record(
        actor=actor,
        instance=artifact,
        action="upload",
        after={"name": name, "sha256": artifact.sha256, "layers": artifact.layer_summary},
        organisation=company.organisation,
    )
    return artifact


@transaction.atomic
def dataset_upload(*, company, actor, name: str, upload) -> Dataset:
    """Validate an uploaded .npz (X, y) or CSV data set and store it."""
    name = _check_name(Dataset, company, name)
    data = _upload_bytes(upload)
    try:
        loaded = kernel.load_dataset(source=data, max_bytes=settings.MAX_UPLOAD_BYTES, name=name)
    except kernel.KernelError as error:
        raise _kernel_failure(error, "file") from None
    suffix = "npz" if data[:4] == b"PK\x03\x04" else "csv"
    dataset = Dataset(
        company=company,
        kind=Dataset.Kind.UPLOADED,
        name=name,
        n_samples=loaded.n_samples,
        n_features=loaded.n_features,
        classes=loaded.labels(),
    )
    dataset.file.save(f"data.{suffix}", ContentFile(data), save=False)
    dataset.save()
    audit_record(
        actor=actor,
        instance=dataset,
        action="upload",
        after={"name": name, "samples": loaded.n_samples},
        organisation=company.organisation,
    )
    return dataset


@dataclass(frozen=True)
class Estimate:
    device_class: str
    devices: int
    batch_size: int
    samples: int
    device_seconds: float
    hours: Decimal  # what the job should cost
    reserve_hours: Decimal  # what is held until it finishes
    available_hours: Decimal  # the allocation's balance before this job
    expected_seconds: float  # wall time on the simulated devices


def _label_key(value) -> str:
    return json.dumps(value, sort_keys=True)


def job_estimate(
    *,
    company,
    model: ModelArtifact,
    dataset: Dataset,
    allocation: Allocation,
    devices: int,
    batch_size: int,
) -> Estimate:
    """Check that the job can run and what it will cost, without changing anything.

    Raises ApplicationError naming the field at fault: another company's rows, an inactive
    allocation, more devices than the cap, shapes that do not match, a batch that does not
    fit device memory, or an estimate above the allocation's balance.
    """
    if model.company_id != company.pk:
        raise ApplicationError(
            _("Choose one of your models."),
            field_errors={"model": [_("Choose one of your models.")]},
        )
    if dataset.company_id not in (None, company.pk):
        raise ApplicationError(
            _("Choose a built-in data set or one of yours."),
            field_errors={"dataset": [_("Choose a built-in data set or one of yours.")]},
        )
    if allocation.company_id != company.pk:
        raise ApplicationError(
            _("Choose one of your allocations."),
            field_errors={"allocation": [_("Choose one of your allocations.")]},
        )
    today = clock.today()
    if allocation.status != Allocation.Status.ACTIVE or not (
        allocation.starts_on <= today < allocation.ends_on
    ):
        message = _("This allocation is not active today (%(start)s – %(end)s, %(status)s).") % {
            "start": allocation.starts_on,
            "end": allocation.ends_on,
            "status": allocation.get_status_display(),
        }
        raise ApplicationError(
            message, code="allocation_inactive", field_errors={"allocation": [message]}
        )
    if devices < 1 or devices > allocation.device_cap:
        message = _(
            "This allocation allows at most %(cap)d devices at once; ask for 1 to %(cap)d."
        ) % {"cap": allocation.device_cap}
        raise ApplicationError(message, code="device_cap", field_errors={"devices": [message]})
    usable = Accelerator.objects.exclude(health=Accelerator.Health.FAILED)
    if allocation.accelerator_type_id:
        usable = usable.filter(accelerator_type_id=allocation.accelerator_type_id)
    if allocation.site_id:
        usable = usable.filter(site_id=allocation.site_id)
    in_service = usable.count()
    if devices > in_service:
        message = _(
            "Only %(count)d devices of this allocation's kind are in service; "
            "ask for at most %(count)d."
        ) % {"count": in_service}
        raise ApplicationError(
            message, code="not_enough_devices", field_errors={"devices": [message]}
        )
    if batch_size < 1:
        message = _("The batch size must be at least 1.")
        raise ApplicationError(message, field_errors={"batch_size": [message]})
    if dataset.n_features != model.input_dim:
        message = _(
            "The model takes %(model)d features but the data set has %(data)d; "
            "choose a matching data set."
        ) % {"model": model.input_dim, "data": dataset.n_features}
        raise ApplicationError(
            message, code="feature_mismatch", field_errors={"dataset": [message]}
        )
    known = {_label_key(c) for c in model.classes}
    unknown = [c for c in dataset.classes if _label_key(c) not in known]
    if unknown:
        message = _("The data set has labels the model does not know: %(labels)s.") % {
            "labels": ", ".join(map(str, unknown[:5]))
        }
        raise ApplicationError(message, code="label_mismatch", field_errors={"dataset": [message]})
    device_type = runtime.allocation_device_type(allocation)
    if device_type is None:
        raise ApplicationError(_("This allocation's site has no devices yet."), code="no_devices")
    spec = runtime.device_spec(device_type)
    try:
        seconds = kernel.estimate_device_seconds(
            model=runtime.load_model_artifact(model),
            n_samples=dataset.n_samples,
            spec=spec,
            devices=devices,
            batch_size=batch_size,
        )
    except kernel.KernelError as error:
        raise _kernel_failure(error, "batch_size") from None
    cost = ledger.hours_from_seconds(seconds)
    # One ledger quantum per device on top of the margin, so rounding never eats the refund.
    reserve = ledger.hours_from_seconds(seconds * float(RESERVE_MARGIN)) + devices * ledger.QUANTUM
    balance = allocation_balance(allocation=allocation).available
    if reserve > balance:
        message = _(
            "This job needs about %(need)s accelerator-hours but the allocation has "
            "%(have)s left. Use fewer devices or request more hours."
        ) % {"need": ledger.hours_text(reserve), "have": ledger.hours_text(balance)}
        raise ApplicationError(
            message, code="insufficient_balance", field_errors={"allocation": [message]}
        )
    return Estimate(
        device_class=device_type.name,
        devices=devices,
        batch_size=batch_size,
        samples=dataset.n_samples,
        device_seconds=seconds,
        hours=cost,
        reserve_hours=reserve,
        available_hours=balance,
        expected_seconds=seconds / devices,
    )


@transaction.atomic
def job_submit(
    *,
    company,
    actor,
    model: ModelArtifact,
    dataset: Dataset,
    allocation: Allocation,
    devices: int,
    batch_size: int,
    priority: int = 0,
) -> EvaluationJob:
    """Admit a job: validate, reserve its estimated hours, queue it and wake the scheduler."""
    if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
        message = _("Priority goes from -%(max)d to %(max)d.") % {"max": MAX_PRIORITY}
        raise ApplicationError(message, field_errors={"priority": [message]})
    estimate = job_estimate(
        company=company,
        model=model,
        dataset=dataset,
        allocation=allocation,
        devices=devices,
        batch_size=batch_size,
    )
    job = EvaluationJob.objects.create(
        company=company,
        allocation=allocation,
        model=model,
        dataset=dataset,
        submitted_by=actor,
        devices_requested=devices,
        batch_size=batch_size,
        priority=priority,
        estimate_hours=estimate.reserve_hours,
    )
    ledger.ledger_reserve(
        allocation=allocation, job=job, amount=estimate.reserve_hours, actor=actor
    )
    _wake_scheduler()
    return job


def _wake_scheduler() -> None:
    from innovation_center.compute.tasks import schedule_jobs

    transaction.on_commit(lambda: schedule_jobs.delay())


def _end_leases(job_id: int, at: dt.datetime) -> int:
    return Lease.objects.filter(job_id=job_id, ended_at__isnull=True).update(ended_at=at)


@transaction.atomic
def job_cancel(*, job: EvaluationJob, actor) -> EvaluationJob:
    """Cancel: a queued or not yet started job ends now with its whole reserve refunded; a
    running one stops at the next shard boundary and is charged for the shards it ran."""
    now = clock.now()
    if job.status in EvaluationJob.FINISHED:
        raise ApplicationError(_("This job has already finished."), code="finished")
    for status in (EvaluationJob.Status.QUEUED, EvaluationJob.Status.SCHEDULED):
        if EvaluationJob.objects.filter(pk=job.pk, status=status).update(
            status=EvaluationJob.Status.CANCELLED, cancel_requested=True, finished_at=now
        ):
            ledger.ledger_settle(job=job, used=0)
            _end_leases(job.pk, now)
            _wake_scheduler()
            break
    else:
        EvaluationJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    audit_record(actor=actor, instance=job, action="cancel", organisation=job.company.organisation)
    job.refresh_from_db()
    return job


# ----------------------------------------------------------------------------- the worker


def job_start(*, job_id: int) -> list[int] | None:
    """Claim a scheduled job (or resume a running one) and plan one shard per leased device.

    Returns the indices of shards still to run, or None when there is nothing to do.
    """
    now = clock.now()
    with transaction.atomic():
        job = EvaluationJob.objects.select_for_update().filter(pk=job_id).first()
        if (
            job is None
            or job.status in EvaluationJob.FINISHED
            or job.status == EvaluationJob.Status.QUEUED
        ):
            return None
        if job.status == EvaluationJob.Status.SCHEDULED:
            EvaluationJob.objects.filter(pk=job.pk, status=EvaluationJob.Status.SCHEDULED).update(
                status=EvaluationJob.Status.RUNNING, started_at=now, heartbeat_at=now
            )
        if not job.shards.exists():
            devices = list(
                Lease.objects.filter(job=job, ended_at__isnull=True)
                .order_by("accelerator__name")
                .values_list("accelerator_id", flat=True)
            )
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
        Accelerator.objects.filter(leases__job=job, leases__ended_at__isnull=True)
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
        job = (
            EvaluationJob.objects.select_for_update(of=("self",))
            .select_related("model")
            .get(pk=job_id)
        )
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
        settlement = ledger.ledger_settle(job=job, used=ledger.hours_from_seconds(used))
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
        _end_leases(job.pk, now)
        EvaluationJob.objects.filter(
            pk=job.pk, status__in=[EvaluationJob.Status.SCHEDULED, EvaluationJob.Status.RUNNING]
        ).update(status=status, **fields)
        _wake_scheduler()
    return status


def jobs_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Scheduled or running jobs whose worker has gone quiet: to be dispatched again."""
    now = now or clock.now()
    stale = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    from django.db.models import Q

    return list(
        EvaluationJob.objects.filter(
            Q(status=EvaluationJob.Status.SCHEDULED, scheduled_at__lt=stale)
            | Q(status=EvaluationJob.Status.RUNNING, heartbeat_at__lt=stale)
        ).values_list("pk", flat=True)
    )
