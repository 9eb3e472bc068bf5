"""The benchmark pages: public leaderboard, submitting, following a run, verifying."""

import pytest
from django.urls import reverse

from innovation_center.benchmarks.models import Submission, Verification
from innovation_center.evaluation.models import EvaluationJob, JobResult
from tests.benchmarks.conftest import company_model

pytestmark = pytest.mark.django_db


def test_anyone_reads_the_suites_and_the_leaderboard_without_the_held_out_rows(client, center):
    listing = client.get(reverse("benchmarks:suite_list"))
    assert listing.status_code == 200 and center.name in listing.content.decode()
    page = client.get(reverse("benchmarks:suite_detail", args=[center.slug]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "540 rows of 64 features" in body
    assert "No result on this suite yet." in body
    assert "media/" not in body


def test_an_owner_submits_follows_the_run_and_staff_verify_it(
    client, center, people, django_capture_on_commit_callbacks
):
    model, owner = company_model(people.company)
    client.force_login(owner)
    page = client.get(reverse("benchmarks:suite_detail", args=[center.slug]))
    assert "3 submissions left" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("benchmarks:suite_submit", args=[center.slug]),
            {"company": people.company.pk, "model": model.pk},
        )
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.job.status == EvaluationJob.Status.SUCCEEDED
    page = client.get(reverse("benchmarks:suite_detail", args=[center.slug])).content.decode()
    assert "not listed: only you see this line" in page and model.name in page
    job_page = client.get(reverse("evaluation:job_detail", args=[submission.job_id]))
    text = job_page.content.decode()
    assert "Reproducibility record" in text and "Not verified by the center" in text
    assert "Run again" not in text  # a held-out run is re-entered through the suite

    client.force_login(people.staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("benchmarks:job_verify", args=[submission.job_id]))
    assert Verification.objects.get().outcome == Verification.Outcome.AGREED
    text = client.get(reverse("evaluation:job_detail", args=[submission.job_id])).content.decode()
    assert "Re-run by the center on" in text
    assert JobResult.objects.get(job=submission.job).verified_at is not None


def test_another_company_reaches_neither_the_run_nor_the_held_out_set(
    client, center, people, django_capture_on_commit_callbacks
):
    model, owner = company_model(people.company)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("benchmarks:suite_submit", args=[center.slug]),
            {"company": people.company.pk, "model": model.pk},
            follow=True,  # read the flash message as the owner
        )
    job = Submission.objects.get().job
    client.force_login(people.outsider)
    assert client.get(reverse("evaluation:job_detail", args=[job.pk])).status_code == 404
    assert (
        client.get(reverse("evaluation:dataset_detail", args=[center.dataset_id])).status_code
        == 404
    )
    assert client.post(reverse("benchmarks:job_rerun", args=[job.pk])).status_code in (403, 404)
    assert client.post(reverse("benchmarks:job_verify", args=[job.pk])).status_code == 403
    page = client.get(reverse("benchmarks:suite_detail", args=[center.slug])).content.decode()
    assert model.name not in page
    client.force_login(owner)
    listing = client.get(reverse("evaluation:dataset_list")).content.decode()
    assert center.dataset.name not in listing
