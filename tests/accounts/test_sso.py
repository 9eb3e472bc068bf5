"""Single sign-on through OpenID Connect, against a fake provider (no network).

The fake stands in for `requests` inside mozilla-django-oidc: it answers the token endpoint
with an RS256 id_token signed by its own key and the JWKS and user-info endpoints with JSON,
so the library's real checks (state, nonce, signature, key id) run on every sign-in.
"""

from __future__ import annotations

import json
import runpy
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import override_settings
from mozilla_django_oidc import auth as oidc_auth

from innovation_center.accounts import people
from innovation_center.accounts.models import Invitation, Membership
from innovation_center.accounts.names import display_name
from tests import factories

PROVIDER = "https://sso.example.org"
CLIENT_ID = "innovation-center"
CLIENT_SECRET = "client-secret"
CALLBACK = "http://testserver/oidc/callback/"
SSO_SETTINGS = {
    "OIDC_ENABLED": True,
    "OIDC_RP_CLIENT_ID": CLIENT_ID,
    "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
    "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{PROVIDER}/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": f"{PROVIDER}/token",
    "OIDC_OP_USER_ENDPOINT": f"{PROVIDER}/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": f"{PROVIDER}/jwks",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "AUTHENTICATION_BACKENDS": [
        "innovation_center.accounts.authentication.LoginThrottleBackend",
        "django.contrib.auth.backends.ModelBackend",
        "innovation_center.accounts.oidc.CenterOIDCBackend",
    ],
    "LOGIN_REDIRECT_URL_FAILURE": "accounts:login",
}
# One key for the module: generating RSA keys is the slow part of these tests.
PROVIDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _response(url: str, body, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.url = url
    response.headers["Content-Type"] = content_type
    response._content = json.dumps(body).encode()
    return response


class FakeProvider:
    """An OpenID provider in memory: `authorize` is the person signing in at the provider;
    `post` and `get` replace the library's `requests.post` and `requests.get`."""

    def __init__(self):
        self.signing_key = PROVIDER_KEY  # a test may sign with another key than it publishes
        self.codes: dict[str, tuple[str, dict]] = {}
        self.access_tokens: dict[str, dict] = {}

    def authorize(self, location: str, claims: dict) -> dict:
        """What the provider sends the browser back with, for the redirect at `location`."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{PROVIDER}/authorize"
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        assert query["client_id"] == CLIENT_ID
        assert query["redirect_uri"] == CALLBACK
        assert query["response_type"] == "code"
        code = secrets.token_urlsafe(8)
        self.codes[code] = (query["nonce"], claims)
        return {"code": code, "state": query["state"]}

    def post(self, url, data=None, **kwargs):
        assert url == f"{PROVIDER}/token", url
        assert data["client_id"] == CLIENT_ID
        assert data["client_secret"] == CLIENT_SECRET
        assert data["grant_type"] == "authorization_code"
        assert data["redirect_uri"] == CALLBACK
        nonce, claims = self.codes.pop(data["code"])  # a code works once
        now = int(time.time())
        id_token = jwt.encode(
            {
                "iss": PROVIDER,
                "sub": claims.get("sub", "person-1"),
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": nonce,
            },
            self.signing_key,
            algorithm="RS256",
            headers={"kid": "key-1"},
        )
        access_token = secrets.token_urlsafe(8)
        self.access_tokens[access_token] = claims
        return _response(url, {"id_token": id_token, "access_token": access_token})

    def get(self, url, headers=None, **kwargs):
        if url == f"{PROVIDER}/jwks":
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(PROVIDER_KEY.public_key(), as_dict=True)
            return _response(url, {"keys": [{**jwk, "kid": "key-1", "alg": "RS256", "use": "sig"}]})
        assert url == f"{PROVIDER}/userinfo", url
        scheme, _space, token = headers["Authorization"].partition(" ")
        assert scheme == "Bearer"
        return _response(url, self.access_tokens[token])


@pytest.fixture
def provider(db, monkeypatch):
    fake = FakeProvider()
    # Only the library's `requests` is replaced: any other address fails the test loudly.
    monkeypatch.setattr(oidc_auth, "requests", fake)
    with override_settings(**SSO_SETTINGS):
        yield fake


def sign_in(client, provider, claims: dict, next_page: str = ""):
    """The whole round trip: our redirect, the provider's answer, our callback."""
    start = client.get("/oidc/authenticate/", {"next": next_page} if next_page else {})
    assert start.status_code == 302
    return client.get("/oidc/callback/", provider.authorize(start["Location"], claims))


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


ADA = {
    "sub": "ada",
    "email": "ada@example.org",
    "email_verified": True,
    "given_name": "Ada",
    "family_name": "Lovelace",
}


# The redirect and the callback ----------------------------------------------------------------


def test_it_sends_the_person_to_the_provider_with_state_and_nonce(client, provider):
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{PROVIDER}/authorize"
    query = parse_qs(parts.query)
    assert query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == [CALLBACK]
    stored = client.session["oidc_states"][query["state"][0]]
    assert stored["nonce"] == query["nonce"][0]


def test_it_creates_a_new_person_with_the_names_of_the_claims(client, provider):
    response = sign_in(client, provider, ADA)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert user.email == "ada@example.org"
    assert user.username == "ada@example.org"
    assert display_name(user) == "Ada Lovelace"
    assert not user.has_usable_password()
    assert (
        client.session["_auth_user_backend"] == "innovation_center.accounts.oidc.CenterOIDCBackend"
    )


def test_it_signs_in_the_existing_account_with_that_email_whatever_its_case(client, provider):
    existing = factories.user("ada", first_name="Augusta")
    response = sign_in(client, provider, {**ADA, "email": "ADA@Example.COM"})
    assert response.status_code == 302
    assert signed_in_user(client) == existing
    assert get_user_model().objects.filter(email__iexact="ada@example.com").count() == 1
    existing.refresh_from_db()
    assert existing.first_name == "Augusta"  # the person's own profile is not overwritten


def test_it_returns_to_the_page_the_person_asked_for(client, provider):
    response = sign_in(client, provider, ADA, next_page="/portal/")
    assert response["Location"] == "/portal/"


def test_the_id_token_must_be_signed_by_the_providers_key(client, provider, caplog):
    provider.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = sign_in(client, provider, ADA)
    assert response.status_code == 400
    assert "JWS token verification failed" in caplog.text
    assert signed_in_user(client) is None


# Invitations ----------------------------------------------------------------------------------


def test_an_invited_person_lands_in_the_organisation_with_the_invited_role(client, provider):
    company = factories.company("Hubei Vision")
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER, "boss")
    invitation = people.invitation_create(
        actor=owner,
        organisation=company.organisation,
        email="Ada@Example.org",
        role=Membership.Role.COMPANY_MEMBER,
    )
    sign_in(client, provider, ADA)
    user = signed_in_user(client)
    membership = Membership.objects.get(user=user)
    assert membership.organisation == company.organisation
    assert membership.role == Membership.Role.COMPANY_MEMBER
    invitation = Invitation.objects.get(pk=invitation.pk)
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == user


def test_a_person_without_invitation_signs_in_with_no_organisation(client, provider):
    sign_in(client, provider, ADA)
    user = signed_in_user(client)
    assert user is not None
    assert not Membership.objects.filter(user=user).exists()


# Refusals -------------------------------------------------------------------------------------


def test_it_refuses_an_email_the_provider_has_not_verified(client, provider):
    response = sign_in(client, provider, {**ADA, "email_verified": False})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None
    assert not get_user_model().objects.filter(email="ada@example.org").exists()
    page = client.get(response["Location"])
    assert "Single sign-on did not sign you in" in page.content.decode()


def test_it_refuses_claims_without_an_email(client, provider):
    claims = {key: value for key, value in ADA.items() if key != "email"}
    response = sign_in(client, provider, claims)
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None


def test_it_refuses_a_deactivated_account_and_makes_no_new_one(client, provider):
    factories.user("ada", is_active=False)
    response = sign_in(client, provider, {**ADA, "email": "ada@example.com"})
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None
    assert get_user_model().objects.filter(email__iexact="ada@example.com").count() == 1


def test_a_session_from_sso_ends_when_the_account_is_deactivated(client, provider):
    sign_in(client, provider, ADA)
    get_user_model().objects.filter(email="ada@example.org").update(is_active=False)
    page = client.get("/accounts/login/")
    assert page.wsgi_request.user.is_anonymous


def test_it_refuses_when_several_active_accounts_share_the_email(client, provider, caplog):
    factories.user("ada")
    second = factories.user("ada2")
    second.email = "ada@example.com"
    second.save()
    response = sign_in(client, provider, {**ADA, "email": "ada@example.com"})
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None
    assert "2 active accounts have the e-mail ada@example.com" in caplog.text


def test_the_password_form_still_works_and_never_calls_the_provider(client, provider):
    user = factories.user("grace")
    response = client.post(
        "/accounts/login/", {"username": "grace", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_user(client) == user
    assert not provider.access_tokens


# With single sign-on off ------------------------------------------------------------------------


@override_settings(OIDC_ENABLED=False)
def test_without_settings_the_sso_pages_are_not_found(client, db):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "c", "state": "s"}).status_code == 404


@override_settings(OIDC_ENABLED=False)
def test_without_settings_the_login_page_has_no_sso_button(client, db):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "/oidc/authenticate/" not in page.content.decode()


def test_with_settings_the_login_page_has_the_sso_button(client, provider):
    page = client.get("/accounts/login/", {"next": "/portal/"})
    assert "/oidc/authenticate/?next=/portal/" in page.content.decode()


# Which environments turn it on ------------------------------------------------------------------

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "innovation_center" / "settings.py"
PROVIDER_ENV = {
    "OIDC_RP_CLIENT_ID": CLIENT_ID,
    "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
    "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{PROVIDER}/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": f"{PROVIDER}/token",
    "OIDC_OP_USER_ENDPOINT": f"{PROVIDER}/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": f"{PROVIDER}/jwks",
}


def settings_with(monkeypatch, env: dict) -> dict:
    for name in [*PROVIDER_ENV, "OIDC_RP_SIGN_ALGO"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_a_complete_environment_turns_sso_on_with_the_password_backend_first(monkeypatch):
    values = settings_with(monkeypatch, PROVIDER_ENV)
    assert values["OIDC_ENABLED"] is True
    assert values["AUTHENTICATION_BACKENDS"] == SSO_SETTINGS["AUTHENTICATION_BACKENDS"]
    assert values["OIDC_RP_SIGN_ALGO"] == "RS256"


def test_an_empty_environment_leaves_sso_off(monkeypatch):
    values = settings_with(monkeypatch, {})
    assert values["OIDC_ENABLED"] is False
    assert (
        "innovation_center.accounts.oidc.CenterOIDCBackend" not in values["AUTHENTICATION_BACKENDS"]
    )


def test_rs256_without_the_providers_keys_leaves_sso_off(monkeypatch):
    env = {k: v for k, v in PROVIDER_ENV.items() if k != "OIDC_OP_JWKS_ENDPOINT"}
    assert settings_with(monkeypatch, env)["OIDC_ENABLED"] is False
    env["OIDC_RP_SIGN_ALGO"] = "HS256"  # signed with the client secret: no keys needed
    assert settings_with(monkeypatch, env)["OIDC_ENABLED"] is True
