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
