"""Company filters are search boxes fed by a small scoped JSON list, not a select of all."""

import pytest
from django.urls import reverse

from innovation_center.compute.forms import RequestFilterForm
from innovation_center.ecosystem.models import Company
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_suggestions_are_scoped_and_short(client, staff, member, company, other_company):
    for n in range(30):
        factories.company(f"Wuhan Optics {n:02d}")
    url = reverse("ecosystem:company_search")
    client.force_login(staff)
    found = client.get(url, {"q": "wuhan optics"}).json()["results"]
    assert len(found) == 20
    assert found[0]["label"] == f"Wuhan Optics 00 (#{found[0]['id']})"
    client.force_login(member)
    mine = client.get(url, {"q": ""}).json()["results"]
    assert [row["id"] for row in mine] == [company.pk]
    assert client.get(url, {"q": other_company.legal_name}).json()["results"] == []


def test_anonymous_visitors_get_no_suggestions(client):
    response = client.get(reverse("ecosystem:company_search"), {"q": "a"})
    assert response.status_code == 302


@pytest.mark.parametrize("typed", ["label", "id", "name"])
def test_the_filter_takes_a_suggestion_an_id_or_the_exact_name(staff, company, typed):
    value = {
        "label": f"{company.legal_name} (#{company.pk})",
        "id": str(company.pk),
        "name": company.legal_name.upper(),
    }[typed]
    form = RequestFilterForm({"company": value}, companies=Company.objects.all())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["company"] == company


def test_a_company_outside_the_choices_is_refused_like_an_unknown_one(company, other_company):
    mine = Company.objects.filter(pk=company.pk)
    foreign = RequestFilterForm({"company": str(other_company.pk)}, companies=mine)
    unknown = RequestFilterForm({"company": "999999"}, companies=mine)
    assert not foreign.is_valid() and not unknown.is_valid()
    assert foreign.errors["company"][0].replace(str(other_company.pk), "N") == unknown.errors[
        "company"
    ][0].replace("999999", "N")


def test_the_staff_lists_render_no_company_options(client, staff):
    for n in range(40):
        factories.company(f"Listed Robotics {n:02d}")
    client.force_login(staff)
    for name in ("compute:request_list", "compute:allocation_list"):
        html = client.get(reverse(name)).content.decode()
        assert "Listed Robotics 07" not in html
        assert 'data-search-url="/ecosystem/companies/search/"' in html
    chosen = Company.objects.get(legal_name="Listed Robotics 07")
    html = client.get(reverse("compute:request_list"), {"company": chosen.pk}).content.decode()
    # The chosen company is shown in the box, by name.
    assert f'value="Listed Robotics 07 (#{chosen.pk})"' in html
