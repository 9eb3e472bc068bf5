"""Who may open which portal page: another company gets 404 everywhere, other roles 403."""

import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.evaluation.models import EvaluationJob, JobResult
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def first():
    """The first company's rows: a model, an uploaded data set and a job with its result."""
    company = factories.company("First Optics")
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    grant = factories.allocation(company)
    model = factories.model_artifact(company, "secret-model")
    dataset = factories.uploaded_dataset(company, "secret-data")
    job = factories.job(grant, model=model, dataset=dataset, status="succeeded")
    JobResult.objects.create(
        job=job,
        accuracy=0.5,
        mean_loss=1.0,
        samples=10,
        correct=5,
        confusion_matrix=[[5, 5], [0, 0]],
        samples_per_second=100.0,
        device_seconds="0.1",
        wall_seconds=0.01,
        hours_charged="0.000028",
        per_device=[],
    )
    running = factories.job(grant, model=model, dataset=dataset, status="running")
    return {"owner": owner, "model": model, "dataset": dataset, "job": job, "running": running}


def urls_of(rows) -> list[str]:
    job, running, model = rows["job"], rows["running"], rows["model"]
    download = reverse("evaluation:job_result_download", args=[job.pk])
    return [
        reverse("evaluation:job_detail", args=[job.pk]),
        reverse("evaluation:job_detail", args=[running.pk]),
        reverse("evaluation:model_detail", args=[model.pk]),
        reverse("evaluation:model_results", args=[model.pk]),
        reverse("evaluation:dataset_detail", args=[rows["dataset"].pk]),
        f"{download}?format=json",
        f"{download}?format=csv",
    ]


@pytest.fixture
def people(db):
    return factories.people(outsider_role=Membership.Role.COMPANY_OWNER)


@pytest.fixture
def rival(people):
    """The owner of another company, which has an allocation of its own."""
    factories.allocation(people.other_company)
    return people.outsider


def test_it_shows_every_page_to_the_owning_company(client, first):
    client.force_login(first["owner"])
    for url in urls_of(first):
        assert client.get(url).status_code == 200, url


def test_it_answers_404_to_another_company_on_every_page_and_download(client, first, rival):
    client.force_login(rival)
    for url in urls_of(first):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"secret" not in response.content, url
    for job in (first["job"], first["running"]):
        response = client.post(reverse("evaluation:job_cancel", args=[job.pk]))
        assert response.status_code == 404
    assert not EvaluationJob.objects.filter(cancel_requested=True).exists()


def test_it_answers_404_to_htmx_polls_of_another_companys_job(client, first, rival):
    client.force_login(rival)
    url = reverse("evaluation:job_detail", args=[first["running"].pk])
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_it_lists_none_of_another_companys_rows(client, first, rival):
    client.force_login(rival)
    for name in ("job_list", "model_list", "dataset_list", "portal_home", "job_submit"):
        response = client.get(reverse(f"evaluation:{name}"))
        assert response.status_code == 200, name
        assert b"secret" not in response.content, name
        assert b"First Optics" not in response.content, name


def test_it_refuses_to_act_for_a_company_the_user_is_not_in(client, first, rival):
    client.force_login(rival)
    company_id = first["model"].company_id
    for name in ("portal_home", "job_submit", "model_upload", "dataset_upload"):
        response = client.get(reverse(f"evaluation:{name}"), {"company": company_id})
        assert response.status_code == 404, name


def test_it_sends_anonymous_visitors_to_the_login_page(client, first):
    pages = [
        reverse(f"evaluation:{name}")
        for name in (
            "portal_home",
            "model_list",
            "model_upload",
            "dataset_list",
            "dataset_upload",
            "job_list",
            "job_submit",
        )
    ]
    for url in pages + urls_of(first):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_it_refuses_the_portal_to_a_coordinator(client, first):
    university = factories.university()
    coordinator = factories.member(university.organisation, Membership.Role.COORDINATOR)
    client.force_login(coordinator)
    for name in (
        "portal_home",
        "model_list",
        "model_upload",
        "dataset_list",
        "dataset_upload",
        "job_list",
        "job_submit",
    ):
        assert client.get(reverse(f"evaluation:{name}")).status_code == 403, name
    for url in urls_of(first):
        assert client.get(url).status_code in (403, 404), url


def test_it_lets_staff_read_but_not_use_the_company_portal(client, first):
    staff = factories.center_staff("operator", role=Membership.Role.CENTER_OPERATOR)
    client.force_login(staff)
    for url in urls_of(first):
        assert client.get(url).status_code == 200, url
    for name in ("portal_home", "model_upload", "dataset_upload", "job_submit"):
        assert client.get(reverse(f"evaluation:{name}")).status_code == 403, name
