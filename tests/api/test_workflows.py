"""The main write paths through the API, each calling the same service as the pages."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.compute.models import Allocation, AllocationRequest, LedgerEntry
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.talent.models import Course
from tests import factories
from tests.api.conftest import client_for
from tests.evaluation.helpers import digits_model_bytes

pytestmark = pytest.mark.django_db


def upload_model(client, name="digits-mlp"):
    return client.post(
        reverse("api:model-list"),
        {"name": name, "file": SimpleUploadedFile("m.npz", digits_model_bytes())},
        format="multipart",
    )


def test_it_uploads_a_model_validated_by_the_kernel(world):
    client = client_for(world.users["member"])
    response = upload_model(client)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["company"] == world.a.company.pk
    assert (body["format"], body["input_dim"], body["classes"]) == ("npz", 64, list(range(10)))
    assert "file" not in body
    refused = client.post(
        reverse("api:model-list"),
        {"name": "junk", "file": SimpleUploadedFile("m.npz", b"not a model")},
        format="multipart",
    )
    assert refused.status_code == 400
    assert list(refused.json()) == ["file"]


def test_it_estimates_submits_follows_and_reads_a_job(db, django_capture_on_commit_callbacks):
    # Its own company: the scheduler would otherwise pick up the world's queued jobs too.
    company = factories.company()
    member = factories.member(company.organisation, Membership.Role.COMPANY_MEMBER)
    grant = factories.allocation(company, hours="50", device_cap=2)
    for _n in range(2):
        factories.accelerator()
    client = client_for(member)
    model_id = upload_model(client).json()["id"]
    digits = factories.builtin_dataset("digits")
    payload = {
        "model": model_id,
        "dataset": digits.pk,
        "allocation": grant.pk,
        "devices": 2,
        "batch_size": 256,
    }
    estimate = client.post(reverse("api:job-estimate"), payload, format="json")
    assert estimate.status_code == 200, estimate.json()
    dry = client.post(reverse("api:job-list") + "?dry_run=1", payload, format="json")
    assert dry.status_code == 200 and dry.json() == estimate.json()
    assert not EvaluationJob.objects.filter(model_id=model_id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(reverse("api:job-list"), payload, format="json")
    assert submitted.status_code == 201, submitted.json()
    job_id = submitted.json()["id"]
    progress = client.get(reverse("api:job-progress", args=[job_id])).json()
    assert progress["status"] == "succeeded" and progress["finished"] is True
    assert (progress["shards_done"], progress["shards_total"]) == (2, 2)
    assert progress["devices_in_use"] == [] and progress["queue_position"] is None
    result = client.get(reverse("api:result-detail", args=[job_id])).json()
    assert result["samples"] == 1797
    assert sum(map(sum, result["confusion_matrix"])) == 1797
    assert len(result["per_device"]) == 2 and result["classes"] == list(range(10))


def test_it_shows_queue_position_while_queued_and_cancels(world):
    client = client_for(world.users["owner"])
    job = world.a.job
    LedgerEntry.objects.create(
        allocation=world.a.allocation,
        workload=job.workload,
        kind="reserve",
        available=-1,
        reserved=1,
    )
    progress = client.get(reverse("api:job-progress", args=[job.pk])).json()
    assert progress["status"] == "queued"
    assert progress["queue_position"] == 1
    cancelled = client.post(reverse("api:job-cancel", args=[job.pk]))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(reverse("api:job-cancel", args=[job.pk]))
    assert again.status_code == 400
    assert again.json() == {"detail": "This job has already finished.", "code": "finished"}


def test_it_names_the_field_at_fault_when_the_service_refuses(world):
    client = client_for(world.users["member"])
    payload = {
        "model": world.a.model.pk,
        "dataset": world.a.dataset.pk,
        "allocation": world.a.allocation.pk,
        "devices": 99,
    }
    response = client.post(reverse("api:job-estimate"), payload, format="json")
    assert response.status_code == 400
    assert "at most 2 devices" in response.json()["devices"][0]
    other = dict(payload, allocation=world.b.allocation.pk, devices=1)
    response = client.post(reverse("api:job-estimate"), other, format="json")
    assert response.status_code == 400 and "allocation" in response.json()


def test_it_takes_a_request_from_an_owner_to_a_reviewer_s_approval(world):
    factories.fleet(2)
    owner = client_for(world.users["owner"])
    created = owner.post(
        reverse("api:allocationrequest-list"),
        {
            "accelerator_type": world.rows["acceleratortype"].pk,
            "hours": "120.00",
            "device_cap": 2,
            "starts_on": str(clock.today()),
            "ends_on": str(clock.today() + dt.timedelta(days=90)),
            "purpose": "Benchmarks",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    request_id = created.json()["id"]
    assert created.json()["company"] == world.a.company.pk
    reviewer = client_for(world.users["reviewer"])
    approved = reviewer.post(
        reverse("api:allocationrequest-approve", args=[request_id]),
        {"hours": "100.00"},
        format="json",
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["balance"]["available"] == "100.000000"
    assert AllocationRequest.objects.get(pk=request_id).status == "approved"
    twice = reviewer.post(
        reverse("api:allocationrequest-reject", args=[request_id]), {"reason": "x"}, format="json"
    )
    assert twice.status_code == 400 and twice.json()["code"] == "already_decided"
    assert Allocation.objects.filter(request_id=request_id).count() == 1


def test_it_refuses_a_period_that_ends_before_it_starts(world):
    response = client_for(world.users["owner"]).post(
        reverse("api:allocationrequest-list"),
        {
            "site": world.rows["site"].pk,
            "hours": "10",
            "device_cap": 1,
            "starts_on": "2026-06-01",
            "ends_on": "2026-05-01",
            "purpose": "x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["ends_on"]


def test_it_lets_an_operator_drain_a_device(world):
    device = world.rows["accelerator"]
    response = client_for(world.users["operator"]).post(
        reverse("api:accelerator-health", args=[device.pk]),
        {"health": "draining", "note": "fans"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["health"], response.json()["health_note"]) == ("draining", "fans")


# Midnight of New Year in Shanghai, still the old year in UTC: the company applied "today"
# on the center's calendar.
@time_machine.travel(dt.datetime(2026, 12, 31, 16, 0, 30, tzinfo=dt.UTC), tick=False)
def test_it_moves_a_company_through_its_statuses_and_asks_why_it_exits(world):
    client = client_for(world.users["admin"])
    created = client.post(
        reverse("api:company-list"),
        {
            "legal_name": "API Company",
            "uscc": factories.uscc(),
            "industry": "healthcare",
            "city": "武汉",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    company_id = created.json()["id"]
    assert created.json()["status"] == "applied"
    assert created.json()["applied_on"] == "2027-01-01"
    admitted = client.post(reverse("api:company-admit", args=[company_id]))
    assert admitted.json()["status"] == "admitted"
    assert client.post(reverse("api:company-admit", args=[company_id])).status_code == 400
    no_reason = client.post(reverse("api:company-exit", args=[company_id]), {"reason": " "})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    bad_code = client.patch(
        reverse("api:company-detail", args=[company_id]), {"uscc": "123"}, format="json"
    )
    assert bad_code.status_code == 400 and list(bad_code.json()) == ["uscc"]
    assert Company.objects.get(pk=company_id).status == "admitted"


def test_it_advances_an_engagement_one_stage(world):
    client = client_for(world.users["admin"])
    response = client.post(
        reverse("api:engagement-advance", args=[world.a.engagement.pk]), {"note": "ok"}
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "solution_design"
    assert [m["to_stage"] for m in response.json()["moves"]] == ["solution_design"]


def test_it_logs_a_course_for_the_coordinator_s_university(world):
    client = client_for(world.users["coordinator"])
    response = client.post(
        reverse("api:course-list"),
        {
            "program": world.rows["program"].pk,
            "title": "Computer vision",
            "year": 2026,
            "term": "autumn",
            "teachers": ["Li", "Zhang"],
            "students_enrolled": 60,
            "hours": 48,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    course = Course.objects.get(pk=response.json()["id"])
    assert course.university == world.rows["university"]
    assert response.json()["teachers"] == ["Li", "Zhang"]
    changed = client.patch(
        reverse("api:course-detail", args=[course.pk]), {"hours": 50}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["hours"] == 50


def test_it_reports_the_devices_a_running_job_holds():
    from innovation_center.compute.scheduler import schedule_round

    company = factories.company()
    member = factories.member(company.organisation, Membership.Role.COMPANY_MEMBER)
    grant = factories.allocation(company, device_cap=2)
    devices = sorted(factories.accelerator().name for _ in range(2))
    job = factories.job(grant, devices_requested=2)
    schedule_round()
    progress = client_for(member).get(reverse("api:job-progress", args=[job.pk])).json()
    assert progress["status"] == "scheduled" and progress["finished"] is False
    assert [d["name"] for d in progress["devices_in_use"]] == devices
