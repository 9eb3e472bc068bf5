"""Job pages: estimate → confirm → live status → result and its downloads, refusals, cancel."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.compute.models import Accelerator, Lease
from innovation_center.compute.selectors import allocation_balance
from innovation_center.evaluation import services
from innovation_center.evaluation.models import EvaluationJob, JobResult, JobShard
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def grant(company):
    return factories.allocation(company, hours="50", device_cap=4)


@pytest.fixture
def devices():
    return [factories.accelerator() for _ in range(4)]


@pytest.fixture
def model(company, owner):
    return services.model_upload(
        company=company, actor=owner, name="digits-mlp", upload=upload(digits_model_bytes())
    )


@pytest.fixture
def digits():
    return factories.builtin_dataset("digits")


def job_form(model, dataset, grant, step="estimate", **overrides):
    data = {
        "company": grant.company_id,
        "model": model.pk,
        "dataset": dataset.pk,
        "allocation": grant.pk,
        "devices": 2,
        "batch_size": 256,
        "priority": 0,
        "step": step,
    }
    data.update(overrides)
    return data


def submit_eagerly(client, capture, model, dataset, grant, **overrides) -> EvaluationJob:
    with capture(execute=True):
        response = client.post(
            reverse("evaluation:job_submit"),
            job_form(model, dataset, grant, "confirm", **overrides),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = EvaluationJob.objects.get()
    assert response["Location"] == reverse("evaluation:job_detail", args=[job.pk])
    return job


def test_it_shows_the_estimate_before_anything_is_reserved(
    client, member, grant, devices, model, digits
):
    client.force_login(member)
    response = client.post(reverse("evaluation:job_submit"), job_form(model, digits, grant))
    body = response.content.decode()
    estimate = services.job_estimate(
        company=grant.company,
        model=model,
        dataset=digits,
        allocation=grant,
        devices=2,
        batch_size=256,
    )
    assert response.status_code == 200
    assert "sim-h200" in body and 'value="confirm"' in body
    assert f"{estimate.reserve_hours:.6f}" in body
    assert f"{estimate.available_hours - estimate.reserve_hours:.6f}" in body
    assert f"{estimate.device_seconds:.6f}" in body
    assert not EvaluationJob.objects.exists()
    assert allocation_balance(allocation=grant).reserved == 0


def test_it_returns_only_the_form_with_the_estimate_to_htmx(
    client, member, grant, devices, model, digits
):
    client.force_login(member)
    response = client.post(
        reverse("evaluation:job_submit"), job_form(model, digits, grant), headers=HX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="job-submit">') and "<html" not in body
    assert 'value="confirm"' in body


def test_it_runs_a_job_from_upload_to_result_through_the_pages(
    client, owner, grant, devices, digits, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    response = client.post(
        reverse("evaluation:model_upload"),
        {"company": grant.company_id, "name": "mlp", "file": upload(digits_model_bytes())},
    )
    model = grant.company.models.get(name="mlp")
    assert response["Location"] == reverse("evaluation:model_detail", args=[model.pk])
    estimate = client.post(reverse("evaluation:job_submit"), job_form(model, digits, grant))
    assert 'value="confirm"' in estimate.content.decode()

    job = submit_eagerly(client, django_capture_on_commit_callbacks, model, digits, grant)
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SUCCEEDED, job.error_message
    result = job.result

    body = client.get(reverse("evaluation:job_detail", args=[job.pk])).content.decode()
    assert "Succeeded" in body and 'hx-trigger="every 2s"' not in body
    assert f"{result.accuracy:.4f}" in body and f"{result.mean_loss:.4f}" in body
    assert f"{result.hours_charged:.6f}" in body and f"{result.device_seconds:.6f}" in body
    assert "Confusion matrix" in body and 'scope="row"' in body
    for entry in result.per_device:
        assert entry["device_id"] in body
    assert "2 of 2 shards done" in body
    assert "?format=json" in body and "?format=csv" in body

    download = reverse("evaluation:job_result_download", args=[job.pk])
    as_json = client.get(download, {"format": "json"})
    assert as_json["Content-Type"].startswith("application/json")
    assert f"job-{job.pk}-result.json" in as_json["Content-Disposition"]
    payload = json.loads(as_json.content)
    assert payload["accuracy"] == result.accuracy and payload["mean_loss"] == result.mean_loss
    assert payload["confusion_matrix"] == result.confusion_matrix
    assert Decimal(payload["hours_charged"]) == result.hours_charged
    assert Decimal(payload["device_seconds"]) == result.device_seconds
    assert payload["samples"] == 1797 and len(payload["per_device"]) == 2

    as_csv = client.get(download, {"format": "csv"})
    assert as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    figures = {row[0]: row[1] for row in rows if len(row) == 2}
    assert float(figures["accuracy"]) == result.accuracy
    assert Decimal(figures["hours_charged"]) == result.hours_charged
    assert Decimal(figures["device_seconds"]) == result.device_seconds
    assert figures["samples"] == "1797"
    header = rows.index(["true / predicted", *[str(c) for c in range(10)]])
    matrix = [[int(n) for n in row[1:]] for row in rows[header + 1 : header + 11]]
    assert matrix == result.confusion_matrix


def test_it_refuses_an_unknown_download_format(client, owner, grant, devices, model, digits):
    job = factories.job(grant, model=model, dataset=digits, status="succeeded")
    client.force_login(owner)
    url = reverse("evaluation:job_result_download", args=[job.pk])
    assert client.get(url, {"format": "xml"}).status_code == 404
    assert client.get(url, {"format": "json"}).status_code == 404  # no result stored


def test_it_shows_the_overdraw_reason_next_to_the_allocation(
    client, member, company, devices, model, digits
):
    tiny = factories.allocation(company, hours="0.000001", device_cap=4)
    client.force_login(member)
    for step in ("estimate", "confirm"):
        response = client.post(
            reverse("evaluation:job_submit"), job_form(model, digits, tiny, step)
        )
        form = response.context["form"]
        assert "accelerator-hours" in form.errors["allocation"][0]
        assert "Use fewer devices or request more hours" in response.content.decode()
    assert not EvaluationJob.objects.exists()


def test_it_shows_the_device_cap_next_to_the_devices(client, member, grant, devices, model, digits):
    client.force_login(member)
    response = client.post(
        reverse("evaluation:job_submit"), job_form(model, digits, grant, "confirm", devices=5)
    )
    assert "at most 4 devices" in response.context["form"].errors["devices"][0]
    assert not EvaluationJob.objects.exists()


def test_it_shows_a_shape_mismatch_next_to_the_data_set(client, member, grant, devices, model):
    client.force_login(member)
    iris = factories.builtin_dataset("iris")
    response = client.post(reverse("evaluation:job_submit"), job_form(model, iris, grant))
    assert "64 features" in response.context["form"].errors["dataset"][0]


def test_it_offers_only_data_sets_that_fit_the_chosen_model(
    client, member, grant, devices, model, digits
):
    client.force_login(member)
    iris = factories.builtin_dataset("iris")
    response = client.get(reverse("evaluation:job_submit"), {"model": model.pk})
    offered = list(response.context["form"].fields["dataset"].queryset)
    assert digits in offered and iris not in offered
    html = response.content.decode()
    # Every option says its size, so the browser narrows the list as the model changes.
    assert f'data-inputs="{model.input_dim}"' in html
    assert 'data-features="64"' in html and 'data-filters="dataset"' in html


def test_it_keeps_priority_within_bounds(client, member, grant, devices, model, digits):
    client.force_login(member)
    response = client.post(
        reverse("evaluation:job_submit"), job_form(model, digits, grant, priority=11)
    )
    assert response.context["form"].errors["priority"]


def test_it_offers_only_the_companys_models_and_active_allocations(
    client, member, company, grant, model
):
    other = factories.company()
    theirs = factories.model_artifact(other, "theirs")
    their_grant = factories.allocation(other)
    expired = factories.allocation(company, status="expired")
    client.force_login(member)
    form = client.get(reverse("evaluation:job_submit")).context["form"]
    assert list(form.fields["model"].queryset) == [model]
    assert list(form.fields["allocation"].queryset) == [grant]
    response = client.post(
        reverse("evaluation:job_submit"),
        job_form(theirs, factories.builtin_dataset(), their_grant, company=company.pk),
    )
    errors = response.context["form"].errors
    assert "model" in errors and "allocation" in errors
    assert expired.pk not in [a.pk for a in form.fields["allocation"].queryset]
    # Another company's id in the form is not a company the member may act for.
    foreign = client.post(
        reverse("evaluation:job_submit"), job_form(theirs, factories.builtin_dataset(), their_grant)
    )
    assert foreign.status_code == 404 and not EvaluationJob.objects.exists()


def test_it_says_what_to_do_when_there_is_no_model_or_allocation(client, company):
    lone = factories.member(company.organisation, Membership.Role.COMPANY_MEMBER, "lone")
    client.force_login(lone)
    body = client.get(reverse("evaluation:job_submit")).content.decode()
    assert "upload one first" in body and "ask your company" in body


def test_it_polls_the_status_fragment_while_the_job_runs(
    client, member, grant, devices, model, digits
):
    job = factories.job(grant, model=model, dataset=digits, status="running", shards_total=4)
    EvaluationJob.objects.filter(pk=job.pk).update(shards_done=1)
    Lease.objects.create(
        accelerator=devices[0], allocation=grant, workload=job.workload, started_at=job.created_at
    )
    client.force_login(member)
    response = client.get(reverse("evaluation:job_detail", args=[job.pk]), headers=HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="job-status"') and "<html" not in body
    assert 'hx-trigger="every 2s"' in body
    assert 'max="4" value="1"' in body and "1 of 4 shards done (25%)" in body
    assert devices[0].name in body
    assert "next shard boundary" in body


def test_a_queued_job_s_page_polls_every_ten_seconds_a_running_one_every_two(
    client, member, grant, model, digits
):
    job = factories.job(grant, model=model, dataset=digits, status="queued")
    client.force_login(member)
    url = reverse("evaluation:job_detail", args=[job.pk])
    assert 'hx-trigger="every 10s"' in client.get(url, headers=HX).content.decode()
    EvaluationJob.objects.filter(pk=job.pk).update(status="running")
    assert 'hx-trigger="every 2s"' in client.get(url, headers=HX).content.decode()


def test_it_stops_polling_once_the_job_has_finished(client, member, grant, model, digits):
    job = factories.job(
        grant,
        model=model,
        dataset=digits,
        status="failed",
        error_code="out_of_device_memory",
        error_message="A batch of 9000 samples needs 200 GiB.",
    )
    client.force_login(member)
    body = client.get(reverse("evaluation:job_detail", args=[job.pk]), headers=HX).content.decode()
    assert "hx-trigger" not in body and "hx-get" not in body
    assert "A batch of 9000 samples needs 200 GiB." in body
    assert "smaller batch size" in body


def test_it_tells_a_queued_job_its_place_and_start(client, member, grant, devices, model, digits):
    job = factories.job(grant, model=model, dataset=digits)
    client.force_login(member)
    body = client.get(reverse("evaluation:job_detail", args=[job.pk])).content.decode()
    assert "Position in the queue: 1." in body
    # Not "it starts now", which a position in the queue would contradict.
    assert "Devices are free for it: the next scheduling round starts it" in body
    Accelerator.objects.update(health=Accelerator.Health.FAILED)
    body = client.get(reverse("evaluation:job_detail", args=[job.pk])).content.decode()
    assert "No estimate: no device of this kind in service." in body


def test_it_cancels_a_queued_job_and_refunds_it(client, member, grant, devices, model, digits):
    client.force_login(member)
    client.post(reverse("evaluation:job_submit"), job_form(model, digits, grant, "confirm"))
    job = EvaluationJob.objects.get()
    assert allocation_balance(allocation=grant).reserved > 0
    response = client.post(reverse("evaluation:job_cancel", args=[job.pk]))
    assert response["Location"] == reverse("evaluation:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.CANCELLED
    assert allocation_balance(allocation=grant).available == Decimal("50")


def test_it_stops_a_running_job_at_the_next_shard_boundary_from_htmx(
    client, member, grant, devices, model, digits
):
    job = factories.job(grant, model=model, dataset=digits, status="running", shards_total=2)
    JobShard.objects.create(job=job, index=0, row_start=0, row_stop=10)
    client.force_login(member)
    response = client.post(reverse("evaluation:job_cancel", args=[job.pk]), headers=HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="job-status"')
    assert "will stop at the next shard boundary" in body
    job.refresh_from_db()
    assert job.cancel_requested and job.status == EvaluationJob.Status.RUNNING


def test_it_lets_staff_read_jobs_but_not_cancel_them(client, grant, model, digits):
    staff = factories.center_staff("admin")
    job = factories.job(grant, model=model, dataset=digits)
    client.force_login(staff)
    listing = client.get(reverse("evaluation:job_list")).content.decode()
    assert f">#{job.pk}<" in listing and grant.company.legal_name in listing
    page = client.get(reverse("evaluation:job_detail", args=[job.pk])).content.decode()
    assert "Cancel the job" not in page
    assert client.post(reverse("evaluation:job_cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert not job.cancel_requested


def test_it_filters_the_job_list_by_status_and_model(client, member, grant, model, digits):
    other_model = factories.model_artifact(grant.company, "other")
    done = factories.job(grant, model=model, dataset=digits, status="succeeded")
    queued = factories.job(grant, model=model, dataset=digits)
    other = factories.job(grant, model=other_model, dataset=digits)
    client.force_login(member)
    url = reverse("evaluation:job_list")
    body = client.get(url, {"status": "succeeded"}, headers=HX).content.decode()
    assert f">#{done.pk}<" in body and f">#{queued.pk}<" not in body and "<html" not in body
    body = client.get(url, {"model": other_model.pk}).content.decode()
    assert f">#{other.pk}<" in body and f">#{done.pk}<" not in body


def test_it_keeps_the_job_list_queries_constant_over_many_jobs(
    client, member, grant, model, digits, django_assert_max_num_queries
):
    for n in range(55):
        factories.job(grant, model=factories.model_artifact(grant.company, f"m{n}"), dataset=digits)
    client.force_login(member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("evaluation:job_list"))
    assert response.content.decode().count("/portal/jobs/") >= 50


def test_it_compares_the_runs_of_a_model(
    client, owner, grant, devices, model, digits, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        for count in (1, 2):
            client.post(
                reverse("evaluation:job_submit"),
                job_form(model, digits, grant, "confirm", devices=count),
            )
    one, two = EvaluationJob.objects.order_by("devices_requested")
    assert one.status == two.status == EvaluationJob.Status.SUCCEEDED
    body = client.get(reverse("evaluation:model_results", args=[model.pk])).content.decode()
    assert "2 runs, best accuracy" in body
    assert body.index(f">#{one.pk}<") < body.index(f">#{two.pk}<")
    assert "×1.00" in body


def test_it_shows_which_device_a_failed_shard_was_retried_on(
    client, member, grant, devices, model, digits
):
    job = factories.job(grant, model=model, dataset=digits, status="succeeded", shards_total=1)
    EvaluationJob.objects.filter(pk=job.pk).update(shards_done=1)
    JobShard.objects.create(
        job=job,
        index=0,
        row_start=0,
        row_stop=1797,
        accelerator=devices[1],
        status=JobShard.Status.DONE,
        failed_devices=[devices[0].name],
    )
    JobResult.objects.create(
        job=job,
        accuracy=0.9,
        mean_loss=0.3,
        samples=1797,
        correct=1617,
        confusion_matrix=[[1617]],
        samples_per_second=1e6,
        device_seconds="0.001",
        wall_seconds=0.01,
        hours_charged="0.000001",
        per_device=[{"device_id": devices[1].name, "device_class": "sim-h200", "shards": [0]}],
    )
    client.force_login(member)
    body = client.get(reverse("evaluation:job_detail", args=[job.pk])).content.decode()
    retries = body[body.index("Retries") :]
    assert retries.index(devices[0].name) < retries.index(devices[1].name)
    payload = client.get(
        reverse("evaluation:job_result_download", args=[job.pk]), {"format": "json"}
    ).json()
    assert payload["retries"] == [
        {"shard": 0, "failed_device": devices[0].name, "retried_on": devices[1].name}
    ]
    rows = client.get(
        reverse("evaluation:job_result_download", args=[job.pk]), {"format": "csv"}
    ).content.decode("utf-8-sig")
    assert f'"{devices[1].name}","sim-h200","0",' in rows
