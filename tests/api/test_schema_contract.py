"""Schemathesis over the OpenAPI schema, as staff, a company owner and a coordinator.

Every generated request must get no 5xx, a status code the schema documents, and a body
that matches the schema. Bounded (a few examples per operation) to stay within CI minutes on
SQLite and PostgreSQL alike.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from innovation_center.accounts.services import api_token_issue

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ("admin", "owner", "coordinator")


@pytest.fixture
def wsgi_app():
    """The WSGI app on the test's own connection (as Django's test client does it)."""
    from innovation_center.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def load_schema():
    """The schema /api/v1/schema/ serves, built at collection time (no database needed).

    Loaded eagerly rather than with `schemathesis.pytest.from_fixture`, whose lazy loader
    does not run on pytest 9; requests still go through the WSGI app, on the test's database.
    """
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from innovation_center.wsgi import application

    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = application
    return loaded


@pytest.fixture
def role_headers(world):
    headers = {}
    for role in ROLES:
        _token, key = api_token_issue(user=world.users[role], name="schemathesis")
        headers[role] = {"Authorization": f"Bearer {key}"}
    return headers


schema = load_schema()


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_it_keeps_every_operation_to_its_schema(case, wsgi_app, role_headers):
    for role in ROLES:
        case.call_and_validate(headers=role_headers[role], checks=CHECKS)
