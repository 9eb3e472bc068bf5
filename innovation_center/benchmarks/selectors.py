"""Reading suites: the leaderboard by its rule, a company's runs and best-score history.

The leaderboard's rule (also written on the page): one line per model, its best verified run,
or its best run while none is verified; ranked by the suite's metric; a tie goes to the
verified line, then to fewer device-seconds, then to the earlier run. Companies that did not
agree to be listed are left out of what others see (their lines keep their ranks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from innovation_center.accounts.access import scoped_queryset, viewer_for
from innovation_center.benchmarks.models import Submission, Suite
from innovation_center.evaluation.energy import Energy, energy
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.selectors import job_queue_info, member_companies


@dataclass
class Entry:
    rank: int
    company_id: int
    company_name: str
    listed: bool
    model_id: int
    model_name: str
    job_id: int
    score: float
    accuracy: float
    mean_loss: float
    device_seconds: float
    energy: Energy
    device_class: str
    finished_at: dt.datetime
    verified: bool


def suite_list(*, device_class: str = "") -> QuerySet[Suite]:
    qs = Suite.objects.select_related("dataset", "accelerator_type").order_by("name")
    if device_class:
        qs = qs.filter(accelerator_type__name=device_class)
    return qs


def _succeeded(suite: Suite) -> QuerySet[Submission]:
    return Submission.objects.filter(
        suite=suite, job__status=EvaluationJob.Status.SUCCEEDED, job__result__isnull=False
    ).select_related("company", "model", "job__result")


def _key(suite: Suite, entry: Entry) -> tuple:
    score = -entry.score if suite.higher_is_better else entry.score
    return (score, not entry.verified, entry.device_seconds, entry.finished_at, entry.job_id)


def leaderboard(*, suite: Suite, user=None) -> list[Entry]:
    """The suite's ranked lines the user may see: listed companies' for everyone, and the
    user's own companies' lines; center staff see every line."""
    best: dict[int, Entry] = {}
    for submission in _succeeded(suite):
        result = submission.job.result
        entry = Entry(
            rank=0,
            company_id=submission.company_id,
            company_name=submission.company.legal_name,
            listed=submission.company.listed_publicly,
            model_id=submission.model_id,
            model_name=submission.model.name,
            job_id=submission.job_id,
            score=suite.score_of(result),
            accuracy=result.accuracy,
            mean_loss=result.mean_loss,
            device_seconds=float(result.device_seconds),
            energy=energy(result.energy_joules),
            device_class=result.provenance.get("device", {}).get("class", ""),
            finished_at=submission.job.finished_at or result.created_at,
            verified=result.verified_at is not None,
        )
        held = best.get(entry.model_id)
        # A verified run beats any unverified one of the same model; then the rank's order.
        if held is None or _pick(suite, entry) < _pick(suite, held):
            best[entry.model_id] = entry
    ranked = sorted(best.values(), key=lambda e: _key(suite, e))
    for rank, entry in enumerate(ranked, start=1):
        entry.rank = rank
    viewer = viewer_for(user) if user is not None else None
    if viewer is not None and viewer.is_center_staff:
        return ranked
    own = (
        set(member_companies(user=user).values_list("pk", flat=True))
        if user is not None and user.is_authenticated
        else set()
    )
    return [e for e in ranked if e.listed or e.company_id in own]


def _pick(suite: Suite, entry: Entry) -> tuple:
    return (not entry.verified, *_key(suite, entry))


@dataclass
class Run:
    submission: Submission
    queue: object  # evaluation.selectors.QueueInfo or None
    best_so_far: float | None


def company_runs(*, suite: Suite, user, company) -> list[Run]:
    """The company's submissions to the suite, newest first, each with its job's state (and
    place in the queue) and the company's best score up to then."""
    submissions = list(
        scoped_queryset(user, Submission)
        .filter(suite=suite, company=company)
        .select_related("model", "job__workload", "job__result")
        .order_by("created_at", "pk")
    )
    runs, best = [], None
    for submission in submissions:
        job = submission.job
        result = (
            getattr(job, "result", None) if job.status == EvaluationJob.Status.SUCCEEDED else None
        )
        if result is not None:
            score = suite.score_of(result)
            if best is None or (score > best if suite.higher_is_better else score < best):
                best = score
        runs.append(Run(submission, job_queue_info(job=job), best))
    runs.reverse()
    return runs
