"""Login throttling: every password sign-in is counted per account and per client address in
the shared cache, and a lockout refuses even the right password until it ends."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "innovation_center" / "settings.py"
LIMIT = 10  # settings.LOGIN_FAILURE_LIMIT's default
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"


def login(url, username, password, *, address="10.1.1.1", **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    return client.post(url, {"username": username, "password": password})


def fail(times, url=LOGIN, username="owner", **kwargs):
    return [login(url, username, f"wrong-{i}", **kwargs).status_code for i in range(times)]


def assert_locked(response):
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()


def test_it_locks_an_account_after_ten_wrong_passwords_even_for_the_right_one(owner):
    assert settings.LOGIN_FAILURE_LIMIT == LIMIT
    assert fail(LIMIT - 1) == [200] * (LIMIT - 1)
    assert_locked(login(LOGIN, "owner", "wrong-again"))  # the tenth
    assert_locked(login(LOGIN, "owner", factories.PASSWORD))
    # The account, from anywhere: the attacker may move, the account stays locked.
    assert_locked(login(LOGIN, "owner", factories.PASSWORD, address="10.2.2.2"))
    # Counted case-insensitively: "OWNER" is not a fresh counter.
    assert_locked(login(LOGIN, "OWNER", "wrong", address="10.3.3.3"))


def test_it_locks_the_admin_login_with_the_same_count(staff):
    fail(LIMIT - 1, url=LOGIN, username="staff")
    assert_locked(login(ADMIN_LOGIN, "staff", "wrong"))
    assert_locked(login(ADMIN_LOGIN, "staff", factories.PASSWORD, address="10.2.2.2"))


def test_it_locks_an_address_that_sprays_one_password_over_many_usernames(owner):
    for i in range(LIMIT):
        login(LOGIN, f"someone{i}", "Summer2026!")
    assert_locked(login(LOGIN, "owner", factories.PASSWORD))  # same address, real account
    assert login(LOGIN, "owner", factories.PASSWORD, address="10.2.2.2").status_code == 302


def test_it_ignores_x_forwarded_for_without_configured_proxies(owner):
    assert settings.NUM_PROXIES == 0
    for i in range(LIMIT):
        login(LOGIN, f"someone{i}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert_locked(login(LOGIN, "owner", factories.PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9"))


def test_it_counts_the_address_the_configured_proxy_saw(owner, settings):
    settings.NUM_PROXIES = 1
    proxy = "10.0.0.2"  # every request arrives from the proxy
    for i in range(LIMIT):
        # A client-written entry first, then the one our proxy appended.
        forwarded = f"198.51.100.{i}, 203.0.113.7"
        login(LOGIN, f"someone{i}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR=forwarded)
    assert_locked(
        login(LOGIN, "owner", factories.PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    )
    other_client = login(
        LOGIN, "owner", factories.PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.8"
    )
    assert other_client.status_code == 302


def test_a_successful_login_clears_the_account_s_count_but_not_the_address_s(owner):
    fail(LIMIT - 1, address="10.1.1.1")
    assert login(LOGIN, "owner", factories.PASSWORD, address="10.1.1.1").status_code == 302
    # The account starts again: nine more failures from elsewhere do not lock it.
    assert fail(LIMIT - 1, address="10.2.2.2") == [200] * (LIMIT - 1)
    assert login(LOGIN, "owner", factories.PASSWORD, address="10.2.2.2").status_code == 302
    # The address does not: one more failure there, for anyone, is its tenth.
    assert_locked(login(LOGIN, "nobody", "wrong", address="10.1.1.1"))


def test_successful_logins_never_lock_anyone_out(owner):
    for _attempt in range(3 * LIMIT):
        assert login(LOGIN, "owner", factories.PASSWORD).status_code == 302


def test_the_api_token_endpoint_shares_the_lockout(owner):
    fail(LIMIT, address="127.0.0.1")
    response = APIClient().post(TOKEN, {"username": "owner", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Too many failed login attempts" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_the_api_token_endpoint_counts_towards_the_lockout(owner):
    for i in range(LIMIT):
        # A new username each time: the endpoint's per-minute limit is per address and name.
        APIClient().post(TOKEN, {"username": f"someone{i}", "password": "wrong"})
    assert_locked(login(LOGIN, "owner", factories.PASSWORD, address="127.0.0.1"))


def test_the_api_token_throttle_ignores_a_new_x_forwarded_for_per_attempt(owner):
    client = APIClient()
    codes = [
        client.post(
            TOKEN,
            {"username": "owner", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(6)
    ]
    assert codes == [400] * 5 + [429]


def test_the_counts_are_kept_in_the_shared_cache_not_in_process_memory(owner):
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("Redis is the shared cache here; its keys are not in the database")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    fail(1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(settings.CACHE_TABLE)}")
        assert cursor.fetchone()[0] >= 2  # the account's counter and the address's


def test_single_sign_on_is_neither_counted_nor_refused(owner):
    request = RequestFactory().get("/oidc/callback/", REMOTE_ADDR="10.1.1.1")
    for _attempt in range(2 * LIMIT):
        # What the OIDC callback calls; no backend here answers it, as when a provider refuses.
        assert authenticate(request, nonce="n", code_verifier="v") is None
    assert login(LOGIN, "owner", factories.PASSWORD).status_code == 302
    fail(LIMIT)
    # Locked for passwords, yet the SSO call still reaches the backends (no PermissionDenied).
    assert authenticate(RequestFactory().get("/oidc/callback/"), nonce="n") is None


def test_the_test_client_s_login_is_not_throttled(owner):
    client = Client()
    for _attempt in range(3 * LIMIT):
        assert not client.login(username="owner", password="wrong")
    assert client.login(username="owner", password=factories.PASSWORD)


def settings_with(monkeypatch, **env) -> dict:
    for name in ("CACHE_URL", "CELERY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_the_cache_is_the_database_s_by_default_and_redis_with_a_redis_broker(monkeypatch):
    assert settings_with(monkeypatch)["CACHES"]["default"]["BACKEND"] == (
        "django.core.cache.backends.db.DatabaseCache"
    )
    redis = settings_with(monkeypatch, CELERY_BROKER_URL="redis://broker.example:6379/0")
    assert redis["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["CACHES"]["default"]["LOCATION"] == "redis://broker.example:6379/0"
    own = settings_with(
        monkeypatch,
        CELERY_BROKER_URL="redis://broker.example:6379/0",
        CACHE_URL="redis://cache.example:6379/3",
    )
    assert own["CACHES"]["default"]["LOCATION"] == "redis://cache.example:6379/3"
