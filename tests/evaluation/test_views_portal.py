"""The portal home, model and data set uploads, and their lists."""

import datetime as dt
import io

import numpy as np
import pytest
from django.conf import settings
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.compute import ledger
from innovation_center.ecosystem.models import Engagement, LifecycleStage, Solution
from innovation_center.evaluation.models import Dataset, ModelArtifact
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return factories.people(company_name="Chutian Smart City")


def stored_files() -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# Portal home ---------------------------------------------------------------------------------


def test_it_shows_the_allocations_with_their_balances(client, member, company):
    grant = factories.allocation(company, hours="100")
    job = factories.job(grant, model=factories.model_artifact(company))
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="8")
    client.force_login(member)
    body = client.get(reverse("evaluation:portal_home")).content.decode()
    assert f">#{grant.pk}<" in body
    assert ">92.00<" in body and ">8.00<" in body and ">100.00<" in body
    assert f">#{job.pk}<" in body  # among the queued and running jobs


def test_it_says_how_to_get_an_allocation_when_there_is_none(client, owner, member):
    client.force_login(owner)
    body = client.get(reverse("evaluation:portal_home")).content.decode()
    assert "No allocation yet" in body and reverse("compute:request_create") in body
    client.force_login(member)
    body = client.get(reverse("evaluation:portal_home")).content.decode()
    assert "ask your company" in body and reverse("compute:request_create") not in body
    assert "upload it" in body


def test_it_shows_the_solutions_with_their_lifecycle_stage(client, member, company):
    solution = Solution.objects.create(
        name="Smart parking", vertical="smart_city", status=Solution.Status.VERIFIED
    )
    solution.companies.add(company)
    Engagement.objects.create(
        company=company,
        title="Parking pilot",
        stage=LifecycleStage.MODEL_DEVELOPMENT,
        started_on=dt.date(2021, 3, 1),
    )
    client.force_login(member)
    body = client.get(reverse("evaluation:portal_home")).content.decode()
    assert "Smart parking" in body and "Verified" in body
    assert "Model development" in body and "Stage 3 of 6" in body


def test_it_lets_a_member_of_two_companies_choose(client, member, company):
    second = factories.company("Second Lab")
    Membership.objects.create(
        user=member, organisation=second.organisation, role=Membership.Role.COMPANY_MEMBER
    )
    client.force_login(member)
    first_page = client.get(reverse("evaluation:portal_home")).content.decode()
    assert "<h1>Chutian Smart City</h1>" in first_page and 'name="company"' in first_page
    second_page = client.get(reverse("evaluation:portal_home"), {"company": second.pk})
    assert "<h1>Second Lab</h1>" in second_page.content.decode()


def test_it_keeps_the_portal_home_queries_bounded(
    client, member, company, django_assert_max_num_queries
):
    for n in range(12):
        grant = factories.allocation(company, hours="10")
        factories.job(grant, model=factories.model_artifact(company, f"m{n}"))
    client.force_login(member)
    with django_assert_max_num_queries(25):
        client.get(reverse("evaluation:portal_home"))


# Model upload --------------------------------------------------------------------------------


def test_it_uploads_a_model_and_lists_its_facts(client, member, company):
    client.force_login(member)
    response = client.post(
        reverse("evaluation:model_upload"),
        {"company": company.pk, "name": "digits-mlp", "file": upload(digits_model_bytes())},
    )
    artifact = ModelArtifact.objects.get()
    assert response["Location"] == reverse("evaluation:model_detail", args=[artifact.pk])
    assert artifact.uploaded_by == member and artifact.company == company
    body = client.get(reverse("evaluation:model_list")).content.decode()
    assert "digits-mlp" in body and "64 → 32 (relu) → 10 (softmax)" in body
    assert ">2,410<" in body and "NumPy layers (.npz)" in body and "member" in body
    detail = client.get(response["Location"]).content.decode()
    assert artifact.sha256 in detail and "Evaluate this model" in detail


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not a model", "neither an .npz archive nor an ONNX model"),
        (b"", "The file is empty."),
    ],
)
def test_it_shows_the_kernels_refusal_next_to_the_file_and_stores_nothing(
    client, member, company, data, message
):
    client.force_login(member)
    response = client.post(
        reverse("evaluation:model_upload"),
        {"company": company.pk, "name": "broken", "file": upload(data, "broken.npz")},
    )
    assert response.status_code == 200
    form = response.context["form"]
    if data:
        assert message in form.errors["file"][0]
    else:  # Django's own check refuses an empty upload before the service sees it
        assert form.errors["file"]
    assert not ModelArtifact.objects.exists() and stored_files() == []


def test_it_shows_a_layer_problem_in_the_kernels_words(client, member, company):
    buffer = io.BytesIO()
    np.savez(buffer, W0=np.ones((4, 3), np.float32), b0=np.zeros(2, np.float32))
    client.force_login(member)
    response = client.post(
        reverse("evaluation:model_upload"),
        {"company": company.pk, "name": "broken", "file": upload(buffer.getvalue())},
    )
    errors = response.context["form"].errors["file"]
    assert "manifest" in errors[0]
    body = response.content.decode()
    assert body.index('id="id_file"') < body.index("manifest&#x27; entry")
    assert not ModelArtifact.objects.exists() and stored_files() == []


def test_it_refuses_a_duplicate_name_next_to_the_name(client, member, company):
    factories.model_artifact(company, "taken")
    client.force_login(member)
    response = client.post(
        reverse("evaluation:model_upload"),
        {"company": company.pk, "name": "taken", "file": upload(digits_model_bytes())},
    )
    assert "already has one named" in response.context["form"].errors["name"][0]


def test_it_keeps_the_model_list_queries_constant(
    client, member, company, django_assert_max_num_queries
):
    for n in range(55):
        factories.model_artifact(company, f"model-{n}")
    client.force_login(member)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("evaluation:model_list"))
    assert response.content.decode().count("/portal/models/") >= 50


# Data sets -----------------------------------------------------------------------------------


def test_it_uploads_a_csv_data_set(client, member, company):
    client.force_login(member)
    csv_bytes = b"a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n"
    response = client.post(
        reverse("evaluation:dataset_upload"),
        {"company": company.pk, "name": "pets", "file": upload(csv_bytes, "pets.csv")},
    )
    dataset = Dataset.objects.get(kind=Dataset.Kind.UPLOADED)
    assert response["Location"] == reverse("evaluation:dataset_detail", args=[dataset.pk])
    assert (dataset.n_samples, dataset.n_features) == (3, 2)


def test_it_shows_a_bad_row_next_to_the_file(client, member, company):
    client.force_login(member)
    csv_bytes = b"1,2,cat\n3,oops,dog\n"
    response = client.post(
        reverse("evaluation:dataset_upload"),
        {"company": company.pk, "name": "pets", "file": upload(csv_bytes, "pets.csv")},
    )
    error = response.context["form"].errors["file"][0]
    assert "oops" in error and "not a number" in error
    assert not Dataset.objects.filter(kind=Dataset.Kind.UPLOADED).exists()
    assert stored_files() == []


def test_it_lists_the_built_in_data_sets_and_the_companys_own_only(
    client, member, company, django_assert_max_num_queries
):
    factories.builtin_dataset()
    for n in range(55):
        factories.uploaded_dataset(company, f"ours-{n}")
    factories.uploaded_dataset(factories.company(), "theirs")
    client.force_login(member)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("evaluation:dataset_list")).content.decode()
    assert "Digits (scikit-learn)" in body and "ours-1" in body and "theirs" not in body
