"""Tokens: issued once for a username and password, hashed at rest, revocable, rate-limited."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from innovation_center.accounts.models import ApiToken
from innovation_center.accounts.services import api_token_issue
from tests import factories

pytestmark = pytest.mark.django_db


def issue(client, username="owner", password=factories.PASSWORD, **extra):
    return client.post(
        reverse("api:token-issue"), {"username": username, "password": password, **extra}
    )


def test_it_issues_a_token_shown_once_and_stores_only_its_hash(owner):
    response = issue(APIClient(), name="CI")
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash == ApiToken.hash_key(body["key"])
    assert body["key"] not in {token.key_hash, token.prefix} and body["key"].startswith(
        token.prefix
    )
    assert (token.user, token.name) == (owner, "CI")
    listed = APIClient()
    listed.credentials(HTTP_AUTHORIZATION=f"Bearer {body['key']}")
    rows = listed.get(reverse("api:token-list")).json()["results"]
    assert [row["prefix"] for row in rows] == [token.prefix]
    assert "key" not in rows[0] and "key_hash" not in rows[0]


def test_it_refuses_a_wrong_password_with_a_stable_error(owner):
    response = issue(APIClient(), password="wrong")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_it_rate_limits_failed_sign_ins_per_ip_and_username(owner):
    client = APIClient()
    for _attempt in range(5):
        assert issue(client, password="wrong").status_code == 400
    refused = issue(client)  # even the right password, until the minute is over
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert "Too many failed sign-in attempts" in refused.json()["detail"]
    assert issue(client, username="bob", password="x").status_code == 400  # another username


def test_it_does_not_count_successful_sign_ins(owner):
    client = APIClient()
    for _attempt in range(7):
        assert issue(client).status_code == 201


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_it_accepts_the_key_with_either_keyword(owner, keyword):
    _token, key = api_token_issue(user=owner, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert client.get(reverse("api:company-list")).status_code == 200


def test_it_refuses_a_revoked_or_unknown_key_with_401(owner):
    token, key = api_token_issue(user=owner, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.delete(reverse("api:token-detail", args=[token.pk])).status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = client.get(reverse("api:company-list"))
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    assert client.get(reverse("api:company-list")).status_code == 401


def test_it_answers_401_without_credentials():
    response = APIClient().get(reverse("api:company-list"))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_it_revokes_only_the_caller_s_own_tokens(owner):
    other = factories.user("mallory")
    theirs, _key = api_token_issue(user=other, name="theirs")
    _mine, key = api_token_issue(user=owner, name="mine")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.delete(reverse("api:token-detail", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_it_records_last_use_at_most_once_a_minute(owner):
    token, key = api_token_issue(user=owner, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    first = dt.datetime(2026, 12, 31, 15, 59, 30, tzinfo=dt.UTC)
    with time_machine.travel(first, tick=False) as traveller:
        client.get(reverse("api:token-list"))
        token.refresh_from_db()
        assert token.last_used_at == first
        traveller.shift(dt.timedelta(seconds=50))
        client.get(reverse("api:token-list"))
        token.refresh_from_db()
        assert token.last_used_at == first
        traveller.shift(dt.timedelta(seconds=70))
        client.get(reverse("api:token-list"))
        token.refresh_from_db()
        assert token.last_used_at == first + dt.timedelta(seconds=120)


def test_it_enforces_csrf_on_session_writes(owner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(factories.center_staff("staffer"))
    assert client.get(reverse("api:company-list")).status_code == 200
    response = client.post(reverse("api:company-list"), {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
