"""Submitting, estimating and cancelling jobs, and following the scheduler's decisions."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from innovation_center import kernel
from innovation_center.accounts.services import audit_record
from innovation_center.compute import allocations, ledger, workloads
from innovation_center.compute.models import Accelerator, Allocation, Workload
from innovation_center.compute.selectors import allocation_balance
from innovation_center.core import clock
from innovation_center.core.dispatch import dispatch_on_commit
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation import runtime
from innovation_center.evaluation.models import (
    Dataset,
    EvaluationJob,
    JobResult,
    ModelArtifact,
)
from innovation_center.evaluation.services.uploads import kernel_failure
from innovation_center.evaluation.signals import job_finished

# The reserve covers the estimate plus a margin for retries on slower devices.
RESERVE_MARGIN = Decimal("1.10")
MAX_PRIORITY = 10
# Rows per global batch a job may ask for: beyond any device's memory for a useful model, and
# well inside what the kernel (kernel.MAX_BATCH_SIZE) and a job row can hold.
MAX_BATCH_SIZE = 1_000_000


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
    payer=None,
) -> Estimate:
    """Check that the job can run and what it will cost, without changing anything.

    `payer` is the company whose allocation pays, when not the job's own: the center's
    account, for benchmark-suite runs and verification re-runs; only those may run on a
    held-out data set.

    Raises ApplicationError naming the field at fault: another company's rows, an inactive
    allocation, more devices than the cap, shapes that do not match, a batch that does not
    fit device memory, or an estimate above the allocation's balance.
    """
    payer = payer or company
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
    if dataset.is_held_out and not payer.is_center_account:
        message = _("This data set is held out for a benchmark suite; submit to the suite.")
        raise ApplicationError(message, code="held_out", field_errors={"dataset": [message]})
    if allocation.company_id != payer.pk:
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
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        message = _(
            "The batch size must be from 1 to %(max)d rows, not %(got)d; 256 suits most models."
        ) % {"max": MAX_BATCH_SIZE, "got": batch_size}
        raise ApplicationError(message, code="batch_size", field_errors={"batch_size": [message]})
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
        raise kernel_failure(error, "batch_size") from None
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
    payer=None,
    rerun_of: EvaluationJob | None = None,
) -> EvaluationJob:
    """Admit a job: validate, reserve its estimated hours, queue it and wake the scheduler.

    Hours the allocation lent to the pool while idle come back first (the owner's next
    submit reclaims them)."""
    if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
        message = _("Priority goes from -%(max)d to %(max)d.") % {"max": MAX_PRIORITY}
        raise ApplicationError(message, field_errors={"priority": [message]})
    if allocation.company_id == company.pk:
        allocations.allocation_reclaim(allocation=allocation, actor=actor)
    estimate = job_estimate(
        company=company,
        model=model,
        dataset=dataset,
        allocation=allocation,
        devices=devices,
        batch_size=batch_size,
        payer=payer,
    )
    now = clock.now()
    workload = workloads.workload_create(
        allocation=allocation,
        devices=devices,
        estimate_hours=estimate.reserve_hours,
        priority=priority,
        at=now,
    )
    job = EvaluationJob.objects.create(
        company=company,
        allocation=allocation,
        workload=workload,
        model=model,
        dataset=dataset,
        submitted_by=actor,
        devices_requested=devices,
        batch_size=batch_size,
        priority=priority,
        estimate_hours=estimate.reserve_hours,
        rerun_of=rerun_of,
    )
    # The compute side shows the work by this line (device and allocation pages).
    workloads.workload_label(workload=workload, label=job.workload_label)
    ledger.ledger_reserve(
        allocation=allocation, workload=workload, amount=estimate.reserve_hours, actor=actor
    )
    wake_scheduler()
    return job


def wake_scheduler() -> None:
    """Ask for a scheduling round once this transaction commits; never fails or waits (a
    broker that is down only delays the round to the periodic one)."""
    # Imported here: the tasks module imports these services.
    from innovation_center.evaluation.tasks import schedule_jobs

    dispatch_on_commit(schedule_jobs)


def lock_job(job_id: int) -> EvaluationJob | None:
    """Lock a job's workload, then the job: every path that changes both takes them in this
    order (the scheduler locks workloads first), so two of them never deadlock."""
    workload_id = (
        EvaluationJob.objects.filter(pk=job_id).values_list("workload_id", flat=True).first()
    )
    if workload_id is None:
        return None
    Workload.objects.select_for_update().filter(pk=workload_id).first()
    return (
        EvaluationJob.objects.select_for_update(of=("self",))
        .select_related("model", "dataset", "workload")
        .filter(pk=job_id)
        .first()
    )


@transaction.atomic
def job_cancel(*, job: EvaluationJob, actor) -> EvaluationJob:
    """Cancel: a queued or not yet started job ends now with its whole reserve refunded; a
    running one stops at the next shard boundary and is charged for the shards it ran."""
    job = lock_job(job.pk) or job
    now = clock.now()
    if job.status in EvaluationJob.FINISHED:
        raise ApplicationError(_("This job has already finished."), code="finished")
    # One conditional update over every status a job has not started in: whatever moved it
    # between queued and scheduled meanwhile (a requeue after a device failure), it ends.
    if EvaluationJob.objects.filter(
        pk=job.pk, status__in=[EvaluationJob.Status.QUEUED, EvaluationJob.Status.SCHEDULED]
    ).update(status=EvaluationJob.Status.CANCELLED, cancel_requested=True, finished_at=now):
        ledger.ledger_settle(workload=job.workload, used=0)
        workloads.workload_finish(workload_id=job.workload_id, at=now)
        job.status = EvaluationJob.Status.CANCELLED
        job_finished.send(sender=EvaluationJob, job=job, status=job.status)
        wake_scheduler()
    else:
        # Running: it stops at the next shard boundary. Were it requeued after this update,
        # the sweeper ends it (jobs_end_unrunnable: a queued job with cancel requested).
        EvaluationJob.objects.filter(pk=job.pk).exclude(status__in=EvaluationJob.FINISHED).update(
            cancel_requested=True
        )
    audit_record(actor=actor, instance=job, action="cancel", organisation=job.company.organisation)
    job.refresh_from_db()
    return job


def jobs_mark_scheduled(*, workload_ids: list[int], at: dt.datetime) -> int:
    """The scheduler bound these workloads: their queued jobs are scheduled (in the round's
    transaction; the scheduling task dispatches them once it has committed)."""
    return EvaluationJob.objects.filter(
        workload_id__in=workload_ids, status=EvaluationJob.Status.QUEUED
    ).update(status=EvaluationJob.Status.SCHEDULED, scheduled_at=at)


def jobs_of_workloads(*, workload_ids: list[int]) -> list[int]:
    return list(
        EvaluationJob.objects.filter(workload_id__in=workload_ids).values_list("pk", flat=True)
    )


def jobs_mark_requeued(*, workload_ids: list[int]) -> int:
    """These workloads lost their devices before they started: their jobs wait again."""
    return EvaluationJob.objects.filter(
        workload_id__in=workload_ids, status=EvaluationJob.Status.SCHEDULED
    ).update(status=EvaluationJob.Status.QUEUED, scheduled_at=None)


def job_rerun(
    *, job: EvaluationJob, actor, allocation: Allocation | None = None, payer=None
) -> EvaluationJob:
    """Submit a stored job again with the same model, data set, devices and batch size.

    On `allocation` (the original one when not given, while it is active); `payer` as in
    job_estimate. The new job points back at the one it repeats, and its result page says
    whether the figures came out the same.
    """
    job = EvaluationJob.objects.select_related("company", "model", "dataset", "allocation").get(
        pk=job.pk
    )
    if job.status != EvaluationJob.Status.SUCCEEDED:
        raise ApplicationError(_("Only a job that succeeded can be run again."), code="not_done")
    return job_submit(
        company=job.company,
        actor=actor,
        model=job.model,
        dataset=job.dataset,
        allocation=allocation or job.allocation,
        devices=job.devices_requested,
        batch_size=job.batch_size,
        priority=job.priority,
        payer=payer,
        rerun_of=job,
    )


def result_mark_verified(*, job: EvaluationJob, at: dt.datetime) -> bool:
    """A re-run on a center allocation agreed with this job's result: it is verified."""
    return bool(JobResult.objects.filter(job=job, verified_at__isnull=True).update(verified_at=at))
