"""Suites end to end, in-process: submit, run on the center's hours, rank, verify, rerun."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from innovation_center import kernel
from innovation_center.accounts.models import Notification
from innovation_center.benchmarks import selectors, services
from innovation_center.benchmarks.models import Verification
from innovation_center.compute.selectors import allocation_balance
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation import provenance
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.models import EvaluationJob, JobResult
from tests import factories
from tests.benchmarks.conftest import company_model

pytestmark = pytest.mark.django_db


def run(callbacks, fn, **kwargs):
    with callbacks(execute=True):
        return fn(**kwargs)


def test_a_submission_runs_on_the_center_allocation_and_leaves_company_hours_alone(
    center, people, django_capture_on_commit_callbacks
):
    company = people.company
    own = factories.allocation(company, hours="10")
    before = allocation_balance(allocation=own).available
    model, owner = company_model(company)
    submission = run(
        django_capture_on_commit_callbacks,
        services.suite_submit,
        suite=center,
        company=company,
        model=model,
        actor=owner,
    )
    job = EvaluationJob.objects.get(pk=submission.job_id)
    assert job.status == EvaluationJob.Status.SUCCEEDED
    assert job.allocation_id == center.allocation_id
    assert allocation_balance(allocation=own).available == before
    assert allocation_balance(allocation=center.allocation).available < Decimal("20")
    result = job.result
    assert result.samples == 540
    record = result.provenance
    assert record["model_sha256"] == model.sha256
    assert record["dataset_sha256"] == kernel.dataset_sha256(kernel.load_builtin("digits_holdout"))
    assert record["kernel"]["version"] == kernel.__version__
    assert record["seed"] == 2026
    assert record["device"]["figures"]["board_power_w"] == 700
    assert result.energy_joules > 0
    entries = selectors.leaderboard(suite=center, user=people.staff)
    assert [(e.rank, e.model_id, e.verified) for e in entries] == [(1, model.pk, False)]


def test_a_company_cannot_run_a_held_out_set_on_its_own_hours(center, people):
    company = people.company
    own = factories.allocation(company, hours="10")
    model, owner = company_model(company)
    with pytest.raises(ApplicationError) as refused:
        evaluation.job_submit(
            company=company,
            actor=owner,
            model=model,
            dataset=center.dataset,
            allocation=own,
            devices=1,
            batch_size=256,
        )
    assert "held out" in refused.value.message
    assert not EvaluationJob.objects.exists()


def test_the_weekly_limit_counts_seven_days_and_says_when_the_next_frees_up(
    center, people, django_capture_on_commit_callbacks
):
    model, owner = company_model(people.company)
    start = dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            services.suite_submit(suite=center, company=people.company, model=model, actor=owner)
        with pytest.raises(ApplicationError) as refused:
            services.suite_submit(suite=center, company=people.company, model=model, actor=owner)
    assert refused.value.code == "weekly_limit"
    assert "2027-01-07 23:30" in refused.value.message
    with time_machine.travel(start + dt.timedelta(days=7, seconds=1), tick=False):
        left, _frees = services.submissions_left(suite=center, company=people.company)
    assert left == 3


def test_staff_verify_a_result_and_the_badge_follows_agreeing_figures(
    center, people, django_capture_on_commit_callbacks
):
    model, owner = company_model(people.company)
    submission = run(
        django_capture_on_commit_callbacks,
        services.suite_submit,
        suite=center,
        company=people.company,
        model=model,
        actor=owner,
    )
    original = EvaluationJob.objects.get(pk=submission.job_id)
    verification = run(
        django_capture_on_commit_callbacks, services.result_verify, job=original, actor=people.staff
    )
    verification.refresh_from_db()
    assert verification.outcome == Verification.Outcome.AGREED
    assert verification.loss_relative_difference <= provenance.LOSS_RELATIVE_TOLERANCE
    assert JobResult.objects.get(job=original).verified_at is not None
    told = Notification.objects.filter(user=owner, subject=f"Job #{original.pk} is verified")
    assert told.count() == 1 and not Notification.objects.filter(user=people.outsider).exists()
    rerun = JobResult.objects.get(job=verification.job)
    assert (rerun.correct, rerun.samples) == (original.result.correct, original.result.samples)
    [entry] = selectors.leaderboard(suite=center, user=None) or [None]
    assert entry is None  # the company is not listed: the public sees no line
    people.company.listed_publicly = True
    people.company.save()
    [entry] = selectors.leaderboard(suite=center, user=None)
    assert entry.verified and entry.job_id == original.pk
    with pytest.raises(ApplicationError):
        services.result_verify(job=original, actor=people.staff)


def test_a_rerun_whose_figures_differ_is_not_verified(
    center, people, django_capture_on_commit_callbacks
):
    model, owner = company_model(people.company)
    submission = run(
        django_capture_on_commit_callbacks,
        services.suite_submit,
        suite=center,
        company=people.company,
        model=model,
        actor=owner,
    )
    original = EvaluationJob.objects.get(pk=submission.job_id)
    JobResult.objects.filter(job=original).update(correct=0, accuracy=0.0)
    verification = run(
        django_capture_on_commit_callbacks, services.result_verify, job=original, actor=people.staff
    )
    verification.refresh_from_db()
    assert verification.outcome == Verification.Outcome.DISAGREED
    assert "points" in verification.note
    assert JobResult.objects.get(job=original).verified_at is None
    assert Notification.objects.filter(
        user=owner, subject=f"Job #{original.pk} could not be verified"
    ).exists()


def test_the_leaderboard_keeps_a_models_best_verified_run_and_ranks_by_rule(
    center, people, django_capture_on_commit_callbacks
):
    good, owner = company_model(people.company, "good", seed=0)
    other, _owner = company_model(people.company, "other", seed=5)
    for model in (good, good, other):
        run(
            django_capture_on_commit_callbacks,
            services.suite_submit,
            suite=center,
            company=people.company,
            model=model,
            actor=owner,
        )
    entries = selectors.leaderboard(suite=center, user=people.staff)
    assert sorted(e.model_id for e in entries) == sorted([good.pk, other.pk])
    assert [e.rank for e in entries] == [1, 2]
    assert entries[0].accuracy >= entries[1].accuracy
    # Verify the later of good's two equal runs: that line must be the one shown.
    later = good.suite_submissions.order_by("-created_at").first().job
    run(django_capture_on_commit_callbacks, services.result_verify, job=later, actor=people.staff)
    line = next(
        e for e in selectors.leaderboard(suite=center, user=people.staff) if e.model_id == good.pk
    )
    assert line.job_id == later.pk and line.verified


def test_run_again_reproduces_a_stored_result_exactly(
    people, db, django_capture_on_commit_callbacks
):
    company = people.company
    grant = factories.allocation(company, hours="10")
    factories.fleet(2)
    model, owner = company_model(company)
    job = run(
        django_capture_on_commit_callbacks,
        evaluation.job_submit,
        company=company,
        actor=owner,
        model=model,
        dataset=factories.builtin_dataset("digits"),
        allocation=grant,
        devices=2,
        batch_size=128,
    )
    again = run(django_capture_on_commit_callbacks, evaluation.job_rerun, job=job, actor=owner)
    first, second = JobResult.objects.get(job=job), JobResult.objects.get(job=again)
    assert again.rerun_of_id == job.pk
    assert provenance.compare(first, second).agrees
    assert first.provenance == second.provenance
