"""Reads of the partner-company portal: the viewer's companies, models, data sets, jobs, results.

Nothing here writes. Every queryset starts from `scoped_queryset(user, Model)`, so a row of
another company is simply not there; the helpers only shape figures for the pages and the
downloads (heat-map shading, retries, the comparison of runs of one model).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from innovation_center.accounts.access import scoped_queryset, viewer_for
from innovation_center.accounts.models import Membership
from innovation_center.compute import scheduler
from innovation_center.compute.models import Allocation, Lease
from innovation_center.compute.selectors import Balance, allocation_balances, allocation_list
from innovation_center.core import clock
from innovation_center.core.exports import csv_writer
from innovation_center.ecosystem.models import Company, Engagement, LifecycleStage, Solution
from innovation_center.evaluation.models import (
    Dataset,
    EvaluationJob,
    JobResult,
    JobShard,
    ModelArtifact,
)

ZERO = Decimal("0")
ACTIVE_STATUSES = (
    EvaluationJob.Status.QUEUED,
    EvaluationJob.Status.SCHEDULED,
    EvaluationJob.Status.RUNNING,
)
JOB_RELATED = ("company", "model", "dataset", "allocation", "submitted_by", "workload")


# Companies -----------------------------------------------------------------------------------


def member_companies(*, user) -> QuerySet:
    """The companies in which the user is an owner or a member, by name."""
    viewer = viewer_for(user)
    organisation_ids = [
        org
        for org, role in viewer.roles.items()
        if role in (Membership.Role.COMPANY_OWNER, Membership.Role.COMPANY_MEMBER)
    ]
    return Company.objects.filter(organisation_id__in=organisation_ids).order_by("legal_name")


def member_company(*, user, company_id=None):
    """The company the user works for on a portal page: the one asked for, else their first.

    None when the user belongs to no company; a company id outside their memberships is a 404.
    """
    companies = member_companies(user=user)
    if company_id not in (None, ""):
        try:
            return companies.get(pk=int(company_id))
        except (ValueError, TypeError, companies.model.DoesNotExist):
            raise Http404(_("You are not a member of this company.")) from None
    return companies.first()


# Portal home ---------------------------------------------------------------------------------


def company_allocations(*, user, company) -> list[Allocation]:
    """The company's allocations, newest first, each with `.balance` (one query for all)."""
    allocations = list(allocation_list(user=user).filter(company=company))
    balances = allocation_balances(allocation_ids=[a.pk for a in allocations])
    empty = Balance(ZERO, ZERO, ZERO)
    for allocation in allocations:
        allocation.balance = balances.get(allocation.pk, empty)
    return allocations


def active_allocations(*, user, company) -> QuerySet:
    today = clock.today()
    return allocation_list(user=user, status=Allocation.Status.ACTIVE).filter(
        company=company, starts_on__lte=today, ends_on__gt=today
    )


@dataclass
class SolutionProgress:
    solution: object
    stage: str | None  # the display label of the company's current engagement stage


def company_solutions(*, user, company) -> tuple[list[SolutionProgress], list]:
    """The company's solutions with the stage of its current engagement, and its engagements."""
    engagements = list(
        scoped_queryset(user, Engagement)
        .filter(company=company)
        .order_by("-stage_changed_at", "-started_on", "-pk")
    )
    stages = list(LifecycleStage.values)
    for engagement in engagements:
        engagement.stage_number = stages.index(engagement.stage) + 1
        engagement.stage_count = len(stages)
    current = engagements[0].get_stage_display() if engagements else None
    solutions = scoped_queryset(user, Solution).filter(companies=company).order_by("name")
    return [SolutionProgress(solution, current) for solution in solutions], engagements


def company_jobs(*, user, company) -> tuple[list, list]:
    """The company's unfinished jobs and its ten most recent finished ones."""
    jobs = job_list(user=user).filter(company=company)
    running = list(jobs.filter(status__in=ACTIVE_STATUSES).order_by("created_at"))
    recent = list(jobs.exclude(status__in=ACTIVE_STATUSES).order_by("-finished_at", "-pk")[:10])
    return running, recent


# Models and data sets ------------------------------------------------------------------------


def model_list(*, user, company=None) -> QuerySet:
    models = scoped_queryset(user, ModelArtifact).select_related("company", "uploaded_by")
    if company is not None:
        models = models.filter(company=company)
    return models.order_by("-created_at", "-pk")


def dataset_list(*, user, company=None) -> QuerySet:
    """Built-in data sets first, then uploaded ones (only `company`'s when given)."""
    datasets = scoped_queryset(user, Dataset).select_related("company")
    if company is not None:
        datasets = datasets.filter(Q(company__isnull=True) | Q(company=company))
    return datasets.order_by("kind", "name", "pk")


# Jobs ----------------------------------------------------------------------------------------


def job_list(*, user, status: str | None = None, model=None) -> QuerySet:
    jobs = scoped_queryset(user, EvaluationJob).select_related(*JOB_RELATED, "result")
    if status:
        jobs = jobs.filter(status=status)
    if model is not None:
        jobs = jobs.filter(model=model)
    return jobs.order_by("-created_at", "-pk")


def job_devices_in_use(*, job: EvaluationJob) -> list[Lease]:
    """The job's active leases: the devices bound to it right now."""
    return list(
        Lease.objects.filter(workload_id=job.workload_id, ended_at__isnull=True)
        .select_related("accelerator__site", "accelerator__accelerator_type")
        .order_by("accelerator__name")
    )


@dataclass(frozen=True)
class Retry:
    shard: int
    failed_device: str
    retried_on: str


def job_retries(*, job: EvaluationJob) -> list[Retry]:
    """Shards that failed on a device and ran again on another, from the shards' records."""
    retries = []
    shards = (
        JobShard.objects.filter(job=job).exclude(failed_devices=[]).select_related("accelerator")
    )
    for shard in shards.order_by("index"):
        retried_on = (
            shard.accelerator.name
            if shard.accelerator and shard.status == JobShard.Status.DONE
            else "—"
        )
        for device in shard.failed_devices:
            if device != retried_on:
                retries.append(Retry(shard.index, device, retried_on))
    return retries


@dataclass
class QueueInfo:
    position: int | None
    starts_at: object  # datetime or None
    minutes: int | None
    starts_now: bool


def job_queue_info(*, job: EvaluationJob) -> QueueInfo | None:
    """Where a queued job stands and when it should start; None once it left the queue."""
    if job.status != EvaluationJob.Status.QUEUED:
        return None
    position = scheduler.queue_position(workload=job.workload)
    starts_at = scheduler.estimated_start(workload=job.workload)
    if starts_at is None:
        return QueueInfo(position, None, None, False)
    seconds = (starts_at - clock.now()).total_seconds()
    minutes = max(1, round(seconds / 60))
    return QueueInfo(position, starts_at, minutes, seconds < 30)


# Results -------------------------------------------------------------------------------------


@dataclass
class HeatCell:
    count: int
    alpha: float  # 0..1, proportional to the count against the largest cell
    dark: bool  # the shading is dark enough to need light text
    correct: bool  # on the diagonal
    predicted: str

    @property
    def style(self) -> str:
        # Formatted here, not in the template, so no locale can change the decimal point.
        colour = "#fff" if self.dark else "inherit"
        return f"background-color: rgba(200, 16, 46, {self.alpha:.3f}); color: {colour}"


@dataclass
class HeatRow:
    label: str
    total: int
    cells: list[HeatCell] = field(default_factory=list)


def confusion_heatmap(result: JobResult) -> tuple[list[str], list[HeatRow]]:
    """Labels and rows of the confusion matrix ([true][predicted]) with cell shading."""
    labels = [str(label) for label in result.job.model.classes]
    matrix = result.confusion_matrix or []
    largest = max((max(row) for row in matrix if row), default=0) or 1
    rows = []
    for i, counts in enumerate(matrix):
        row = HeatRow(labels[i] if i < len(labels) else str(i), sum(counts))
        for j, count in enumerate(counts):
            alpha = round(count / largest, 3)
            predicted = labels[j] if j < len(labels) else str(j)
            row.cells.append(HeatCell(count, alpha, alpha > 0.55, i == j, predicted))
        rows.append(row)
    return labels, rows


def result_payload(*, job: EvaluationJob) -> dict:
    """Everything a result download carries; decimals as strings, so they stay exact."""
    result = job.result
    return {
        "job": job.pk,
        "company": job.company.legal_name,
        "model": job.model.name,
        "dataset": job.dataset.name,
        "devices": job.devices_requested,
        "batch_size": job.batch_size,
        "status": job.status,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "accuracy": result.accuracy,
        "mean_loss": result.mean_loss,
        "samples": result.samples,
        "correct": result.correct,
        "samples_per_second": result.samples_per_second,
        "device_seconds": str(result.device_seconds),
        "hours_charged": str(result.hours_charged),
        "wall_seconds": result.wall_seconds,
        "classes": list(job.model.classes),
        "confusion_matrix": result.confusion_matrix,
        "per_device": result.per_device,
        "retries": [
            {"shard": r.shard, "failed_device": r.failed_device, "retried_on": r.retried_on}
            for r in job_retries(job=job)
        ],
    }


PER_DEVICE_COLUMNS = (
    "device_id",
    "device_class",
    "shards",
    "samples",
    "compute_seconds",
    "allreduce_seconds",
    "device_seconds",
)


def _csv_cell(value):
    # A device's shards are a list; one cell reads better as "0;3" than as "[0, 3]".
    return ";".join(map(str, value)) if isinstance(value, list) else value


def result_json(*, job: EvaluationJob) -> str:
    return json.dumps(result_payload(job=job), ensure_ascii=False, indent=2)


def result_csv(*, job: EvaluationJob) -> str:
    """The result as CSV: the figures, the per-device breakdown, then the confusion matrix.

    Starts with a BOM so Excel reads the UTF-8 names.
    """
    payload = result_payload(job=job)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv_writer(buffer)
    writer.writerow([_("Figure"), _("Value")])
    for key in (
        "job",
        "company",
        "model",
        "dataset",
        "devices",
        "batch_size",
        "status",
        "finished_at",
        "accuracy",
        "mean_loss",
        "samples",
        "correct",
        "samples_per_second",
        "device_seconds",
        "hours_charged",
        "wall_seconds",
    ):
        writer.writerow([key, payload[key]])
    writer.writerow([])
    writer.writerow(PER_DEVICE_COLUMNS)
    for entry in payload["per_device"]:
        writer.writerow([_csv_cell(entry.get(column, "")) for column in PER_DEVICE_COLUMNS])
    if payload["retries"]:
        writer.writerow([])
        writer.writerow(["shard", "failed_device", "retried_on"])
        for retry in payload["retries"]:
            writer.writerow([retry["shard"], retry["failed_device"], retry["retried_on"]])
    writer.writerow([])
    writer.writerow([_("true / predicted"), *payload["classes"]])
    for label, counts in zip(payload["classes"], payload["confusion_matrix"], strict=False):
        writer.writerow([label, *counts])
    return buffer.getvalue()


@dataclass
class ResultGroup:
    dataset: Dataset
    runs: list[JobResult]
    best_accuracy: float


def model_results(*, user, model: ModelArtifact) -> list[ResultGroup]:
    """Succeeded runs of one model, grouped by data set, then by devices, batch and date.

    Each run gets `speedup`: its samples/s against the same data set's run on the fewest
    devices, to read how the evaluation scales.
    """
    results = (
        scoped_queryset(user, JobResult)
        .filter(job__model=model, job__status=EvaluationJob.Status.SUCCEEDED)
        .select_related("job__dataset")
        .order_by(
            "job__dataset__name",
            "job__dataset_id",
            "job__devices_requested",
            "job__batch_size",
            "created_at",
        )
    )
    groups: dict[int, ResultGroup] = {}
    for result in results:
        dataset = result.job.dataset
        group = groups.get(dataset.pk)
        if group is None:
            group = groups[dataset.pk] = ResultGroup(dataset, [], result.accuracy)
        group.runs.append(result)
        group.best_accuracy = max(group.best_accuracy, result.accuracy)
    for group in groups.values():
        base = group.runs[0].samples_per_second or None
        for run in group.runs:
            run.speedup = run.samples_per_second / base if base else None
            run.is_best = run.accuracy == group.best_accuracy
    return list(groups.values())


def company_recent_jobs(*, user, company):
    """A company's twenty latest jobs, as its page shows them."""
    return (
        scoped_queryset(user, EvaluationJob)
        .filter(company=company)
        .select_related("model", "dataset")
        .order_by("-created_at")[:20]
    )
