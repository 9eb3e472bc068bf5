"""Suites, submissions and verification: every change to them goes through here.

The center's account (`center_account`) is a company row of the center's own that holds the
allocations suites and verifications run on; it is created on first use and left out of the
ecosystem's lists and figures. Its allocations are granted through the same capacity rules as
any company's (an allocation request, approved at once by the staff member who asks).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import NotificationKind, Organisation
from innovation_center.accounts.notifications import notify_organisation
from innovation_center.accounts.services import audit_record
from innovation_center.benchmarks.models import Submission, Suite, Verification
from innovation_center.compute import services as compute_services
from innovation_center.compute.models import AcceleratorType, Allocation, AllocationRequest
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.uscc import check_character
from innovation_center.ecosystem.models import Company
from innovation_center.evaluation import provenance
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.models import Dataset, EvaluationJob, JobResult

CENTER_ACCOUNT_NAME = "Innovation Center — benchmarks and verification"
_CENTER_USCC_17 = "12420100MB0000000"
SUBMISSION_WINDOW = dt.timedelta(days=7)


def center_account() -> Company:
    """The center's own company row (created the first time it is needed)."""
    found = Company.objects.filter(is_center_account=True).first()
    if found:
        return found
    with transaction.atomic():
        organisation, _created = Organisation.objects.get_or_create(
            name=CENTER_ACCOUNT_NAME, defaults={"kind": Organisation.Kind.COMPANY}
        )
        company, _created = Company.objects.get_or_create(
            is_center_account=True,
            defaults={
                "organisation": organisation,
                "legal_name": CENTER_ACCOUNT_NAME,
                "uscc": _CENTER_USCC_17 + check_character(_CENTER_USCC_17),
                "industry": Company._meta.get_field("industry").choices[0][0],
                "city": "武汉",
                "status": Company.Status.INCUBATING,
                "description": _("The center's own account for benchmark suites and verification."),
            },
        )
    return company


def center_allocations(*, active_only: bool = False):
    qs = Allocation.objects.filter(company__is_center_account=True).select_related(
        "accelerator_type", "site"
    )
    if active_only:
        today = clock.today()
        qs = qs.filter(status=Allocation.Status.ACTIVE, starts_on__lte=today, ends_on__gt=today)
    return qs.order_by("-starts_on", "pk")


@transaction.atomic
def center_allocation_grant(
    *,
    actor,
    accelerator_type: AcceleratorType,
    hours: Decimal,
    device_cap: int,
    starts_on: dt.date,
    ends_on: dt.date,
    purpose: str,
    site=None,
    overcommit_reason: str = "",
) -> Allocation:
    """Grant the center's account an allocation, checked by the pool's capacity rules."""
    purpose = (purpose or "").strip()
    if not purpose:
        message = _("Say what the hours are for (a suite, verification runs).")
        raise ApplicationError(message, field_errors={"purpose": [message]})
    request = AllocationRequest.objects.create(
        company=center_account(),
        requested_by=actor,
        accelerator_type=accelerator_type,
        site=site,
        hours=hours,
        device_cap=device_cap,
        starts_on=starts_on,
        ends_on=ends_on,
        purpose=purpose,
    )
    return compute_services.allocation_request_approve(
        request=request,
        actor=actor,
        reason=_("Granted to the center's own account."),
        overcommit_reason=overcommit_reason,
    )


def _check_suite(fields: dict) -> None:
    dataset: Dataset = fields["dataset"]
    errors: dict[str, list[str]] = {}
    if not dataset.is_held_out:
        errors["dataset"] = [_("Choose a held-out data set: companies can read the others.")]
    training = fields.get("training_dataset")
    if training is not None and training.is_held_out:
        errors["training_dataset"] = [_("A held-out set cannot be the public training set.")]
    allocation: Allocation = fields["allocation"]
    if not allocation.company.is_center_account:
        errors["allocation"] = [_("Choose one of the center's own allocations.")]
    elif allocation.accelerator_type_id not in (None, fields["accelerator_type"].pk):
        errors["allocation"] = [
            _("This allocation runs on %(type)s, not on the suite's device class.")
            % {"type": allocation.accelerator_type}
        ]
    if fields.get("devices", 1) > allocation.device_cap:
        errors["devices"] = [
            _("The allocation allows at most %(cap)d devices at once.")
            % {"cap": allocation.device_cap}
        ]
    if errors:
        raise ApplicationError(
            _("The suite was not saved; see the fields marked."), field_errors=errors
        )


SUITE_FIELDS = (
    "name",
    "slug",
    "description",
    "dataset",
    "training_dataset",
    "metric",
    "accelerator_type",
    "allocation",
    "devices",
    "batch_size",
    "weekly_limit",
    "is_open",
)


@transaction.atomic
def suite_save(*, actor, suite: Suite | None = None, **fields) -> Suite:
    """Create a suite, or change one (`suite`): only held-out data on a center allocation."""
    _check_suite(fields)
    created = suite is None
    suite = suite or Suite(created_by=actor)
    before = {} if created else {f: str(getattr(suite, f)) for f in SUITE_FIELDS}
    for name, value in fields.items():
        setattr(suite, name, value)
    suite.full_clean()
    suite.save()
    audit_record(
        actor=actor,
        instance=suite,
        action="create" if created else "update",
        before=before,
        after={f: str(getattr(suite, f)) for f in SUITE_FIELDS},
    )
    return suite


def submissions_left(
    *, suite: Suite, company, now: dt.datetime | None = None
) -> tuple[int, dt.datetime | None]:
    """How many submissions the company has left in the 7 days to `now`, and when the next
    one frees up when it has none."""
    now = now or clock.now()
    recent = list(
        Submission.objects.filter(
            suite=suite, company=company, created_at__gt=now - SUBMISSION_WINDOW
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    left = max(suite.weekly_limit - len(recent), 0)
    frees_at = recent[len(recent) - suite.weekly_limit] + SUBMISSION_WINDOW if not left else None
    return left, frees_at


@transaction.atomic
def suite_submit(*, suite: Suite, company, model, actor) -> Submission:
    """Enter a company's model in a suite: it runs on the suite's center allocation, on the
    held-out set, with the suite's devices and batch size; the company's hours are untouched.

    At most `weekly_limit` submissions per company in any 7 days (the company row is locked,
    so two at once are counted one after the other).
    """
    Company.objects.select_for_update().filter(pk=company.pk).first()
    suite = Suite.objects.select_related("dataset", "allocation").get(pk=suite.pk)
    if not suite.is_open:
        raise ApplicationError(_("This suite is closed for submissions."), code="suite_closed")
    if model.company_id != company.pk:
        message = _("Choose one of your models.")
        raise ApplicationError(message, field_errors={"model": [message]})
    left, frees_at = submissions_left(suite=suite, company=company)
    if not left:
        message = _(
            "Your company has used its %(limit)d submissions to this suite in the last 7 "
            "days; the next one is possible from %(when)s."
        ) % {"limit": suite.weekly_limit, "when": clock.local(frees_at).strftime("%Y-%m-%d %H:%M")}
        raise ApplicationError(message, code="weekly_limit", field_errors={"model": [message]})
    job = evaluation.job_submit(
        company=company,
        actor=actor,
        model=model,
        dataset=suite.dataset,
        allocation=suite.allocation,
        devices=suite.devices,
        batch_size=suite.batch_size,
        payer=center_account(),
    )
    submission = Submission.objects.create(
        suite=suite,
        company=company,
        model=model,
        job=job,
        submitted_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        instance=submission,
        action="submit",
        after={"suite": suite.slug, "model": model.name, "job": job.pk},
        organisation=company.organisation,
    )
    return submission


def _device_type_of(job: EvaluationJob) -> AcceleratorType | None:
    name = getattr(job, "result", None) and job.result.provenance.get("device", {}).get("class")
    if name:
        return AcceleratorType.objects.filter(name=name).first()
    return job.allocation.accelerator_type


@transaction.atomic
def result_verify(*, job: EvaluationJob, actor) -> Verification:
    """Re-run a stored result on a center allocation of the same device class; the result is
    verified when the re-run's figures agree (see evaluation.provenance.compare)."""
    job = EvaluationJob.objects.select_for_update().get(pk=job.pk)
    result = JobResult.objects.filter(job=job).first()
    if job.status != EvaluationJob.Status.SUCCEEDED or result is None:
        raise ApplicationError(_("Only a job that succeeded can be verified."), code="not_done")
    if result.verified_at:
        raise ApplicationError(_("This result is already verified."), code="already_verified")
    if Verification.objects.filter(original=job, outcome=Verification.Outcome.PENDING).exists():
        raise ApplicationError(
            _("A verification of this result is already running."), code="pending"
        )
    device_type = _device_type_of(job)
    candidates = [
        a
        for a in center_allocations(active_only=True)
        if a.accelerator_type_id in (None, device_type.pk if device_type else None)
        and a.device_cap >= job.devices_requested
    ]
    if not candidates:
        raise ApplicationError(
            _(
                "The center has no active allocation on %(type)s for %(devices)d devices. Grant "
                "the center one (Benchmarks → Center allocations), then verify again."
            )
            % {"type": device_type or "-", "devices": job.devices_requested},
            code="no_center_allocation",
        )
    error = None
    for allocation in candidates:
        try:
            with transaction.atomic():
                rerun = evaluation.job_rerun(
                    job=job, actor=actor, allocation=allocation, payer=center_account()
                )
        except ApplicationError as refused:
            error = refused
            continue
        verification = Verification.objects.create(
            original=job, job=rerun, requested_by=actor, created_at=clock.now()
        )
        audit_record(
            actor=actor,
            instance=verification,
            action="verify",
            after={"job": job.pk, "rerun": rerun.pk, "allocation": allocation.pk},
            organisation=job.company.organisation,
        )
        return verification
    raise error


def verification_decide(*, job: EvaluationJob, status: str) -> Verification | None:
    """A verification re-run ended: compare its figures with the original's (once)."""
    verification = (
        Verification.objects.select_for_update()
        .filter(job=job, outcome=Verification.Outcome.PENDING)
        .select_related("original")
        .first()
    )
    if verification is None:
        return None
    now = clock.now()
    verification.decided_at = now
    original = JobResult.objects.filter(job=verification.original).first()
    rerun = JobResult.objects.filter(job=job).first()
    if status != EvaluationJob.Status.SUCCEEDED or original is None or rerun is None:
        verification.outcome = Verification.Outcome.FAILED
        verification.note = job.error_message or _("The re-run was cancelled.")
    else:
        agreement = provenance.compare(original, rerun)
        verification.accuracy_difference = agreement.accuracy_difference
        verification.loss_relative_difference = agreement.loss_relative_difference
        if agreement.agrees:
            verification.outcome = Verification.Outcome.AGREED
            evaluation.result_mark_verified(job=verification.original, at=now)
        else:
            verification.outcome = Verification.Outcome.DISAGREED
            verification.note = (
                _("The model or data set changed between the runs.")
                if not agreement.same_inputs
                else _(
                    "Accuracy moved by %(points).4f points and the loss by %(loss).2e relative "
                    "(allowed: 0 and 1e-6)."
                )
                % {
                    "points": agreement.accuracy_points,
                    "loss": agreement.loss_relative_difference,
                }
            )
    verification.save()
    _notify_company(verification)
    return verification


def _notify_company(verification: Verification) -> None:
    """The company whose result was checked hears the outcome (in-app and by e-mail)."""
    original = verification.original
    names = {"id": original.pk, "model": original.model.name}

    def compose() -> tuple[str, str]:
        if verification.outcome == Verification.Outcome.AGREED:
            return (
                _("Job #%(id)s is verified") % names,
                _(
                    "The center re-ran your evaluation of %(model)s and got the same figures: "
                    "the result now carries the verified badge."
                )
                % names,
            )
        if verification.outcome == Verification.Outcome.DISAGREED:
            return (
                _("Job #%(id)s could not be verified") % names,
                _(
                    "The center re-ran your evaluation of %(model)s and the figures differ; "
                    "the result stays unverified. The job's page shows both runs."
                )
                % names,
            )
        return (
            _("The verification of job #%(id)s did not finish") % names,
            _(
                "The center's re-run of your evaluation of %(model)s ended without a result; "
                "staff may start it again. Your result is unchanged."
            )
            % names,
        )

    notify_organisation(
        organisation=original.company.organisation,
        kind=NotificationKind.JOB_FINISHED,
        compose=compose,
        url=reverse("evaluation:job_detail", args=[original.pk]),
    )
