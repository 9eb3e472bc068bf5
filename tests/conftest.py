import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files of a test never land in the developer's media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager():
    # In-process tests run tasks inline; tests/evaluation/test_worker.py starts real workers.
    from innovation_center.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fresh_login_throttles(request, django_db_blocker):
    # Failed sign-ins are counted in the shared cache (the database cache, or Redis when the
    # broker is Redis): one test's failures never lock another test's logins out. A test in
    # a transaction rolls the database cache back itself; the others are emptied here.
    from django.conf import settings
    from django.core.cache import cache

    redis = settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    if redis:
        _delete_our_redis_keys(cache)
    elif "django_db_setup" in request.fixturenames or request.node.get_closest_marker("django_db"):
        # Before the test, not after: a test that provoked an IntegrityError leaves its
        # transaction unusable until the rollback.
        with django_db_blocker.unblock():
            cache.clear()
    yield
    if redis:
        _delete_our_redis_keys(cache)


def _delete_our_redis_keys(cache):
    # Not cache.clear(): that is FLUSHDB, and the broker's queues may share the database.
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=cache.make_key("*")))
    if keys:
        client.delete(*keys)


# Real Celery worker processes, for the tests that need them (`workers` fixture).
pytest_plugins = ["tests.workers"]


@pytest.fixture(autouse=True)
def _language_reset():
    # A request through LocaleMiddleware leaves its language active in this thread; the next
    # test must start in the default language, whatever ran before it.
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


# The people of the tests ----------------------------------------------------------------------
# One set per test (tests/factories.py `People`), each person made when first asked for. A
# directory or module whose assertions show a particular company or university name overrides
# `people` with `factories.people(company_name=...)`; the fixtures below then follow it.


@pytest.fixture
def people(db):
    from tests import factories

    return factories.people()


@pytest.fixture
def staff(people):
    """A center admin, username "staff"."""
    return people.staff


@pytest.fixture
def reviewer(people):
    return people.reviewer


@pytest.fixture
def operator(people):
    return people.operator


@pytest.fixture
def company(people):
    return people.company


@pytest.fixture
def owner(people):
    return people.owner


@pytest.fixture
def member(people):
    return people.member


@pytest.fixture
def other_company(people):
    return people.other_company


@pytest.fixture
def outsider(people):
    """A member of another company than `company`."""
    return people.outsider


@pytest.fixture
def university(people):
    return people.university


@pytest.fixture
def coordinator(people):
    return people.coordinator
