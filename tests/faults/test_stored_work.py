"""Errors for work that was stored (hardening issue): a broker that is down, a client that
retries. The answer to a stored job is its 201, once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from innovation_center.celery import app
from innovation_center.core import clock, dispatch
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.tasks import schedule_jobs
from tests.workers import reset_broker_connections

DEAD_BROKER = "redis://127.0.0.1:6391/0"  # nothing listens there


def body(tenant, **extra):
    return {
        "model": tenant["model"].pk,
        "dataset": tenant["dataset"].pk,
        "allocation": tenant["grant"].pk,
        "devices": 2,
        "batch_size": 64,
        **extra,
    }


@pytest.fixture
def api(tenant):
    client = APIClient()
    client.force_authenticate(tenant["owner"])
    return client


@pytest.fixture
def broker_down():
    names = ("task_always_eager", "broker_url", "broker_write_url", "broker_transport_options")
    saved = {name: app.conf[name] for name in names}
    app.conf.update(
        task_always_eager=False,
        broker_url=DEAD_BROKER,
        broker_write_url=DEAD_BROKER,
        broker_transport_options=settings.REDIS_TRANSPORT_OPTIONS,
    )
    reset_broker_connections()
    yield
    app.conf.update(saved)
    reset_broker_connections()


@pytest.mark.django_db(transaction=True)
def test_a_submit_with_the_broker_down_is_a_201_and_the_round_places_it_later(
    tenant, api, broker_down, caplog
):
    response = api.post("/api/v1/jobs/", body(tenant), format="json")
    assert response.status_code == 201, response.content
    job = EvaluationJob.objects.get(pk=response.json()["id"])
    assert job.status == EvaluationJob.Status.QUEUED
    assert "could not send" in caplog.text and "schedule_jobs" in caplog.text
    # The periodic round (beat) finds the row once the broker is back.
    app.conf.task_always_eager = True
    schedule_jobs.apply()
    job.refresh_from_db()
    assert job.status != EvaluationJob.Status.QUEUED


def test_sending_never_retries_the_broker_for_long():
    # What makes the request above return at once rather than after ~20 s of reconnects.
    options = settings.REDIS_TRANSPORT_OPTIONS
    assert options["max_retries"] <= 1 and options["interval_max"] <= 1
    assert options["socket_connect_timeout"] <= 2


@pytest.mark.django_db(transaction=True)
def test_dispatch_reports_a_failure_instead_of_raising(broker_down):
    assert dispatch.dispatch(schedule_jobs) is False


@pytest.mark.django_db
def test_an_idempotency_key_makes_a_retry_return_the_first_job(tenant, api):
    first = api.post("/api/v1/jobs/", body(tenant), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/jobs/", body(tenant), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert EvaluationJob.objects.count() == 1
    other = api.post(
        "/api/v1/jobs/", body(tenant, priority=3), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert EvaluationJob.objects.count() == 1
    # Without a key, each call is a new job.
    api.post("/api/v1/jobs/", body(tenant), format="json")
    assert EvaluationJob.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_first_attempt_keeps_no_key(tenant, api):
    bad = api.post(
        "/api/v1/jobs/", body(tenant, devices=99), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert bad.status_code == 400
    good = api.post("/api/v1/jobs/", body(tenant), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert good.status_code == 201


@pytest.mark.django_db
def test_an_idempotency_key_on_a_compute_request(tenant, api):
    today = clock.today()
    payload = {
        "kind": "new",
        "accelerator_type": tenant["devices"][0].accelerator_type_id,
        "hours": "100",
        "device_cap": 2,
        "starts_on": str(today + dt.timedelta(days=7)),
        "ends_on": str(today + dt.timedelta(days=60)),
        "purpose": "Fine-tuning a remote-sensing model",
    }
    url = "/api/v1/allocation-requests/"
    first = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_retries_make_one_job(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("simultaneous writers need PostgreSQL's row locks")
    answers = []

    def post():
        client = APIClient()
        client.force_authenticate(tenant["owner"])
        answers.append(
            client.post("/api/v1/jobs/", body(tenant), format="json", HTTP_IDEMPOTENCY_KEY="same")
        )
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert EvaluationJob.objects.count() == 1
