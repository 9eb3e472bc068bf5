"""The staff device list and the health actions of operators."""

import pytest
from django.urls import reverse
from django.utils import timezone

from innovation_center.compute.models import Accelerator, DeviceOutage, Lease
from innovation_center.evaluation.models import EvaluationJob
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def device():
    return factories.accelerator(name="WH-0001")


@pytest.fixture
def busy_device(device):
    grant = factories.allocation(factories.company("Busy Co"))
    job = factories.job(grant, status=EvaluationJob.Status.SCHEDULED)
    Lease.objects.create(
        accelerator=device, allocation=grant, workload=job.workload, started_at=timezone.now()
    )
    return device, job


def health_data(device, health, note=""):
    return {f"device-{device.pk}-health": health, f"device-{device.pk}-note": note}


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("compute:device_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_keeps_the_device_list_for_staff(client, owner):
    client.force_login(owner)
    assert client.get(reverse("compute:device_list")).status_code == 403


def test_it_shows_the_current_lease_and_job(client, operator, busy_device):
    device, job = busy_device
    client.force_login(operator)
    body = client.get(reverse("compute:device_list")).content.decode()
    assert "WH-0001" in body and "Busy Co" in body and f"#{job.pk} " in body


def test_it_gives_operators_the_health_form_and_reviewers_none(client, operator, reviewer, device):
    action = reverse("compute:device_health", args=[device.pk])
    client.force_login(operator)
    assert action in client.get(reverse("compute:device_list")).content.decode()
    client.force_login(reviewer)
    assert action not in client.get(reverse("compute:device_list")).content.decode()


def test_it_filters_by_health_and_returns_the_table_alone_to_htmx(client, operator, device):
    factories.accelerator(name="WH-0002", health=Accelerator.Health.FAILED)
    client.force_login(operator)
    response = client.get(reverse("compute:device_list"), {"health": "failed"}, headers=HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="device-results">') and "<html" not in body
    assert "WH-0002" in body and "WH-0001" not in body


@pytest.mark.parametrize("who", ["reviewer", "owner"])
def test_it_refuses_the_health_action_to_non_operators(client, request, device, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("compute:device_health", args=[device.pk]), health_data(device, "failed")
    )
    assert response.status_code == 403
    device.refresh_from_db()
    assert device.health == Accelerator.Health.HEALTHY


def test_it_marks_a_device_failed_in_place_and_requeues_its_job(client, operator, busy_device):
    device, job = busy_device
    client.force_login(operator)
    response = client.post(
        reverse("compute:device_health", args=[device.pk]),
        health_data(device, "failed", "ECC errors"),
        headers=HX,
    )
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="device-row-{device.pk}">')
    assert "Failed" in row and "ECC errors" in row and f"#{job.pk}" in row and "idle" in row
    device.refresh_from_db()
    job.refresh_from_db()
    assert device.health == "failed" and job.status == EvaluationJob.Status.QUEUED
    assert DeviceOutage.objects.get(accelerator=device).note == "ECC errors"


def test_it_drains_and_heals_a_device_without_javascript(client, operator, device):
    client.force_login(operator)
    url = reverse("compute:device_health", args=[device.pk])
    back = reverse("compute:device_list") + "?health=draining"
    response = client.post(url, {**health_data(device, "draining", "firmware"), "next": back})
    assert response.status_code == 302 and response["Location"] == back
    device.refresh_from_db()
    assert device.health == "draining"
    client.post(url, health_data(device, "healthy"))
    device.refresh_from_db()
    assert device.health == "healthy"
    assert DeviceOutage.objects.get(accelerator=device).ended_at is not None


def test_it_ignores_a_next_address_on_another_host(client, operator, device):
    client.force_login(operator)
    response = client.post(
        reverse("compute:device_health", args=[device.pk]),
        {**health_data(device, "draining"), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("compute:device_list")


def test_it_keeps_the_device_list_queries_constant(client, operator, django_assert_max_num_queries):
    grant = factories.allocation(factories.company("Busy Co"))
    now = timezone.now()
    for n in range(55):
        device = factories.accelerator(name=f"WH-{n:04d}")
        job = factories.job(grant, status=EvaluationJob.Status.SCHEDULED)
        Lease.objects.create(
            accelerator=device, allocation=grant, workload=job.workload, started_at=now
        )
    client.force_login(operator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("compute:device_list"))
    assert response.content.decode().count('id="device-row-') == 50
