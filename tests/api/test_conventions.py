"""Pages with counts, filters, ordering, ISO 8601 dates, stable error bodies, the schema."""

import pytest
from django.urls import reverse

from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(people):
    return client_for(people.staff)


def test_it_pages_with_counts_and_a_bounded_page_size(staff):
    for _n in range(5):
        factories.company()
    first = staff.get(reverse("api:company-list"), {"page_size": 2}).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 5 and len(first["results"]) == 2 and first["previous"] is None
    assert "page=2" in first["next"]
    big = staff.get(reverse("api:company-list"), {"page_size": 100000}).json()
    assert len(big["results"]) == 5
    missing = staff.get(reverse("api:company-list"), {"page": 99})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "There is no such page.", "code": "not_found"}


def test_it_filters_and_orders(staff):
    factories.company("Beta", status="applied", city="Xi'an")
    factories.company("Alpha", status="incubating")
    factories.company("Gamma", status="applied")
    applied = staff.get(
        reverse("api:company-list"), {"status": "applied", "ordering": "-legal_name"}
    )
    assert [c["legal_name"] for c in applied.json()["results"]] == ["Gamma", "Beta"]
    assert staff.get(reverse("api:company-list"), {"search": "alp"}).json()["count"] == 1
    wrong = staff.get(reverse("api:company-list"), {"status": "sleeping"})
    assert wrong.status_code == 400
    assert list(wrong.json()) == ["status"]


def test_it_writes_dates_and_times_in_iso_8601(staff):
    company = factories.company(applied_on="2026-02-03")
    body = staff.get(reverse("api:company-detail", args=[company.pk])).json()
    assert body["applied_on"] == "2026-02-03"
    assert body["created_at"][:4].isdigit() and "T" in body["created_at"]


def test_it_explains_malformed_json_in_the_same_shape(staff):
    response = staff.generic(
        "POST", reverse("api:company-list"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_it_lists_in_a_fixed_number_of_queries(staff, django_assert_max_num_queries):
    for _n in range(3):
        company = factories.company()
        factories.allocation(company)
    with django_assert_max_num_queries(8):
        assert staff.get(reverse("api:allocation-list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert staff.get(reverse("api:engagement-list")).status_code == 200


def test_it_serves_the_schema_and_the_docs_from_its_own_static_files(client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get(reverse("api:docs")).content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()


def test_it_answers_in_the_language_the_client_asks_for(client):
    url = reverse("api:token-issue")
    body = {"username": "nobody", "password": "wrong"}
    english = client.post(url, body, content_type="application/json")
    chinese = client.post(
        url, body, content_type="application/json", headers={"Accept-Language": "zh-hans"}
    )
    assert english.json()["detail"] == "The username or password is not correct."
    assert chinese.json()["detail"] == "用户名或密码不正确。"
