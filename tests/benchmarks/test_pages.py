"""The benchmark pages: public leaderboard, submitting, following a run, verifying."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent
from innovation_center.benchmarks.models import Submission, Suite, Verification
from innovation_center.benchmarks.services import center_allocations
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


def suite_form(center, **changes):
    fields = {
        "name": "Digits, two devices",
        "slug": "digits-2",
        "description": "The held-out digits on two devices.",
        "dataset": center.dataset_id,
        "training_dataset": center.training_dataset_id,
        "metric": "accuracy",
        "accelerator_type": center.accelerator_type_id,
        "allocation": center.allocation_id,
        "devices": 2,
        "batch_size": 128,
        "weekly_limit": 2,
        "is_open": "on",
    }
    fields.update(changes)
    return fields


def test_staff_define_a_suite_and_change_its_rules(client, center, people):
    client.force_login(people.staff)
    assert "New suite" in client.get(reverse("benchmarks:suite_list")).content.decode()
    assert client.get(reverse("benchmarks:suite_create")).status_code == 200
    response = client.post(reverse("benchmarks:suite_create"), suite_form(center))
    assert response.status_code == 302
    suite = Suite.objects.get(slug="digits-2")
    assert (suite.devices, suite.batch_size, suite.weekly_limit) == (2, 128, 2)
    assert suite.created_by == people.staff
    response = client.post(
        reverse("benchmarks:suite_edit", args=["digits-2"]),
        suite_form(center, weekly_limit=5, is_open=""),
    )
    assert response.status_code == 302
    suite.refresh_from_db()
    assert (suite.weekly_limit, suite.is_open) == (5, False)
    change = AuditEvent.objects.filter(action="update").latest("created_at")
    assert (change.before["weekly_limit"], change.after["weekly_limit"]) == ("2", "5")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dataset": "training"}, "dataset", "Select a valid choice"),
        ({"devices": 3}, "devices", "at most 2 devices"),
        ({"slug": "new"}, "slug", "is a page of its own"),
    ],
)
def test_a_suite_that_breaks_a_rule_is_not_saved_and_says_why(
    client, center, people, changes, field, message
):
    if changes.get("dataset") == "training":
        changes = {"dataset": center.training_dataset_id}
    client.force_login(people.staff)
    response = client.post(reverse("benchmarks:suite_create"), suite_form(center, **changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert list(Suite.objects.values_list("slug", flat=True)) == [center.slug]


def test_a_company_member_cannot_define_or_change_a_suite(client, center, people):
    client.force_login(people.owner)
    assert "New suite" not in client.get(reverse("benchmarks:suite_list")).content.decode()
    assert client.post(reverse("benchmarks:suite_create"), suite_form(center)).status_code == 403
    edit = reverse("benchmarks:suite_edit", args=[center.slug])
    assert client.post(edit, suite_form(center, weekly_limit=99)).status_code == 403
    center.refresh_from_db()
    assert center.weekly_limit == 3 and Suite.objects.count() == 1


def test_staff_grant_the_center_s_account_hours_under_the_pool_s_rules(client, center, people):
    client.force_login(people.staff)
    listing = client.get(reverse("benchmarks:center_allocations")).content.decode()
    assert f"#{center.allocation_id}" in listing
    form = {
        "accelerator_type": center.accelerator_type_id,
        "hours": "12.5",
        "device_cap": 2,
        "starts_on": "2026-12-01",
        "ends_on": "2027-01-31",
        "purpose": "Verification runs in December",
    }
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False):
        missing = client.post(
            reverse("benchmarks:center_allocation_create"), {**form, "purpose": " "}
        )
        assert missing.status_code == 200
        assert missing.context["form"].errors["purpose"] == ["This field is required."]
        before = set(center_allocations().values_list("pk", flat=True))
        assert before == {center.allocation_id}
        response = client.post(reverse("benchmarks:center_allocation_create"), form)
    assert response.status_code == 302
    (grant,) = center_allocations().exclude(pk__in=before)
    assert grant.hours_granted == Decimal("12.50") and grant.company.is_center_account
    client.force_login(people.owner)
    assert client.get(reverse("benchmarks:center_allocations")).status_code == 403
    assert client.post(reverse("benchmarks:center_allocation_create"), form).status_code == 403


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_no_page_of_the_portal_shows_or_runs_the_held_out_set(client, center, people, who):
    client.force_login(getattr(people, who))
    held_out = center.dataset
    assert client.get(reverse("evaluation:dataset_detail", args=[held_out.pk])).status_code == 404
    listing = client.get(reverse("evaluation:dataset_list")).content.decode()
    assert center.training_dataset.name in listing and held_out.name not in listing
    form = client.get(reverse("evaluation:job_submit")).content.decode()
    assert 'name="dataset"' in form
    choices = form.split('name="dataset"', 1)[1].split("</select>")[0]
    assert f'value="{center.training_dataset_id}"' in choices
    assert f'value="{held_out.pk}"' not in choices
