"""The demo's background demand: small evaluation jobs from a few demo companies, submitted
every few seconds while `make run` runs (DEMO_DEMAND), so the queue, the waits and the
burn-downs move while someone watches.

Each demand company has the demo model (`portal.DEMO_MODEL`): the demo company's own, and
one seeded here for one company of each other pool. Their jobs are submitted by a colleague
who is not a demo login and has turned job e-mails off, so neither the logins' inboxes nor
the console fill up.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.core.files.base import ContentFile

from innovation_center.accounts.models import Membership, NotificationKind, Profile
from innovation_center.compute.models import Allocation
from innovation_center.compute.selectors import allocation_balances
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.demo.common import SEED
from innovation_center.demo.data.network import DEVICE_POOLS
from innovation_center.demo.data.people import DEMO_USERS
from innovation_center.demo.portal import DEMO_MODEL, demo_model_bytes
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.models import Dataset, EvaluationJob, ModelArtifact

# At most this many jobs per run of the task (every 20 s in `make run`).
JOBS_PER_RUN = 3
# An allocation with less than this available is left alone.
MIN_AVAILABLE_HOURS = Decimal("1")
BATCH_SIZES = (128, 256, 512)
MUTED = [NotificationKind.JOB_FINISHED, NotificationKind.JOB_FAILED]
DEMO_LOGINS = [username for username, *_rest in DEMO_USERS]


def demand_submitter(company):
    """Who submits the company's background jobs: its first person (by username) who is not
    a demo login; None when it has no one else."""
    membership = (
        Membership.objects.filter(organisation=company.organisation, user__is_active=True)
        .exclude(user__username__in=DEMO_LOGINS)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def _mute_job_emails(user) -> None:
    profile, created = Profile.objects.get_or_create(user=user, defaults={"email_muted": MUTED})
    if not created and not set(MUTED) <= set(profile.email_muted or []):
        profile.email_muted = sorted({*(profile.email_muted or []), *MUTED})
        profile.save(update_fields=["email_muted"])


def seed_demand(incubating, *, owner_company, rival_company) -> None:
    """The demand companies: the demo company, and the first incubating company with an
    active grant of each other pool (not the rival's, not one of the idle grants), each with
    the demo model uploaded by its submitter, whose job e-mails are turned off."""
    # The first pool is the home site's, where the demo company computes.
    wanted = {(site, preset) for site, preset, *_rest in DEVICE_POOLS[1:]}
    pool_of = {
        allocation.company_id: (allocation.site.code, allocation.accelerator_type.preset)
        for allocation in Allocation.objects.filter(
            company__in=[plan.company for plan in incubating],
            status=Allocation.Status.ACTIVE,
            site__isnull=False,
            accelerator_type__isnull=False,
            request__purpose__endswith="期）",
        ).select_related("site", "accelerator_type")
    }
    companies = [owner_company]
    for plan in incubating:
        pool = pool_of.get(plan.company.pk)
        if pool in wanted and plan.company.pk != rival_company.pk:
            companies.append(plan.company)
            wanted.discard(pool)
    with_model = set(
        ModelArtifact.objects.filter(company__in=companies, name=DEMO_MODEL).values_list(
            "company_id", flat=True
        )
    )
    for company in companies:
        submitter = demand_submitter(company)
        if submitter is not None:
            _mute_job_emails(submitter)
        if company.pk in with_model or submitter is None:
            continue
        rng = random.Random(f"{SEED}:{company.uscc}:model")
        evaluation.model_upload(
            company=company,
            actor=submitter,
            name=DEMO_MODEL,
            upload=ContentFile(
                demo_model_bytes(
                    hidden_units=rng.choice([16, 24, 32, 48]), seed=rng.getrandbits(32)
                ),
                name=f"{DEMO_MODEL}.npz",
            ),
        )


def demand_submit(*, limit: int = JOBS_PER_RUN, rng: random.Random | None = None) -> list:
    """Submit up to `limit` small jobs (the demo model on digits, 1–2 devices) from random
    demand companies, through the real submission service: reservations, scheduling, waits
    and charges are the product's own. Returns the jobs.

    Never piles up or overdraws: a company with a job not finished yet gets no other; only
    an allocation active today with at least MIN_AVAILABLE_HOURS available is used, and the
    service refuses any job its balance cannot reserve (that company is skipped this run).
    """
    rng = rng or random.Random()
    dataset = Dataset.objects.filter(kind=Dataset.Kind.BUILTIN, builtin_name="digits").first()
    if dataset is None:
        return []
    busy = EvaluationJob.objects.exclude(status__in=EvaluationJob.FINISHED).values("company_id")
    models = list(
        ModelArtifact.objects.filter(name=DEMO_MODEL)
        .exclude(company_id__in=busy)
        .select_related("company__organisation")
        .order_by("pk")
    )
    today = clock.today()
    allocations = list(
        Allocation.objects.filter(
            company__in=[model.company_id for model in models],
            status=Allocation.Status.ACTIVE,
            starts_on__lte=today,
            ends_on__gt=today,
        )
    )
    balances = allocation_balances(allocation_ids=[a.pk for a in allocations])
    best = {}  # company id -> its allocation with the most hours available
    for allocation in allocations:
        available = balances[allocation.pk].available if allocation.pk in balances else 0
        if available < MIN_AVAILABLE_HOURS:
            continue
        current = best.get(allocation.company_id)
        if current is None or available > balances[current.pk].available:
            best[allocation.company_id] = allocation
    rng.shuffle(models)
    jobs = []
    for model in models:
        if len(jobs) >= limit:
            break
        allocation = best.get(model.company_id)
        submitter = demand_submitter(model.company) or model.uploaded_by
        if allocation is None or submitter is None:
            continue
        try:
            jobs.append(
                evaluation.job_submit(
                    company=model.company,
                    actor=submitter,
                    model=model,
                    dataset=dataset,
                    allocation=allocation,
                    devices=rng.randint(1, min(2, allocation.device_cap)),
                    batch_size=rng.choice(BATCH_SIZES),
                )
            )
        except ApplicationError:
            continue  # no devices in service, a balance too low: try again next run
    return jobs
