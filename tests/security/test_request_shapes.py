"""Hostile request shapes answer 4xx with a clear message, never 500: deeply nested JSON,
bodies larger than any upload, control characters in search and filter parameters."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.ecosystem.helpers import engagement

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# Deeply nested JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 5000])
def test_it_refuses_unbalanced_deep_nesting_anonymously_on_the_token_endpoint(depth):
    client = APIClient(raise_request_exception=False)
    response = client.post(TOKEN, data="[" * depth, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested more than 32 levels" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/jobs/", "/api/v1/jobs/estimate/"])
def test_it_refuses_deep_nesting_on_the_job_endpoints(owner, path):
    client = api_as(owner)
    client.raise_request_exception = False
    response = client.post(path, data=nested(5000), content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]


def test_it_refuses_a_balanced_document_nested_past_the_limit_that_python_would_parse():
    response = APIClient().post(TOKEN, data=nested(200), content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]


def test_it_accepts_ordinary_nesting(owner):
    body = json.dumps({"username": "owner", "password": "wrong", "name": "ci"})
    response = APIClient().post(TOKEN, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"  # parsed, then refused for itself


def test_it_refuses_a_json_body_larger_than_the_data_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "x" * 2000, "password": "p"})
    response = APIClient().post(TOKEN, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert "at most 1000 bytes are accepted" in response.json()["detail"]


# Bodies larger than any upload -----------------------------------------------------------------


def test_it_refuses_an_oversized_api_upload_before_reading_it(owner, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    client = api_as(owner)
    # The declared length is far past what the test client holds: reading it would fail.
    response = client.post(
        "/api/v1/models/",
        data="x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert "at most 1.0 MiB" in response.json()["detail"]


def test_it_refuses_an_oversized_page_post_with_a_message(owner, settings):
    settings.MAX_UPLOAD_BYTES = 0
    client = Client()
    client.force_login(owner)
    response = client.post(
        reverse("accounts:login"),
        data="x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(2 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "The request is too large (2.0 MiB)" in response.content.decode()


def test_it_lets_a_body_within_the_limit_through(owner, settings):
    settings.MAX_UPLOAD_BYTES = 0  # the limit is then the 1 MiB of room for the form fields
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "owner", "password": "nope"})
    assert response.status_code == 200


# Control characters in search and filter parameters -----------------------------------------


def test_the_board_search_ignores_a_nul(staff):
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("ecosystem:engagement_board"), {"q": "\x00"})
    assert response.status_code == 200
    assert response.context["q"] == ""
    response = client.get(reverse("ecosystem:engagement_board"), {"q": "Own\x00 Co\x0b"})
    assert response.status_code == 200
    assert response.context["q"] == "Own Co"


def test_moving_a_card_keeps_the_board_s_search_without_its_nul(staff, company):
    card = engagement(company)
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("ecosystem:engagement_advance", args=[card.pk]),
        {"q": "Own\x00", "stage": card.stage},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.context["q"] == "Own"


def test_the_people_search_finds_what_it_would_without_the_control_characters(staff, owner):
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("accounts:person_list"), {"q": "own\x00er"})
    assert response.status_code == 200
    assert response.context["search"] == "owner"
    assert owner in response.context["page_obj"].object_list


def test_an_api_filter_ignores_control_characters_in_names_and_values(staff, company):
    client = api_as(staff)
    response = client.get("/api/v1/companies/?search=Own%00%01%1F%7F&ordering%00=name")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [company.pk]


@pytest.mark.parametrize("url_name", ["ecosystem:company_list", "ecosystem:solution_list"])
def test_filtered_lists_answer_a_page_for_a_nul(staff, url_name):
    client = Client()
    client.force_login(staff)
    assert client.get(reverse(url_name), {"q": "\x00"}).status_code == 200
