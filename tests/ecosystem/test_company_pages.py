import csv

import pytest
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent
from innovation_center.ecosystem.models import Company
from tests import factories
from tests.ecosystem import helpers

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_login(client, company):
    for url in (
        reverse("ecosystem:company_list"),
        reverse("ecosystem:company_detail", args=[company.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", ["owner", "member", "coordinator", "outsider"])
def test_it_keeps_the_company_list_for_staff(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("ecosystem:company_list")).status_code == 403


def test_it_lists_companies_with_their_stage(client, staff, company):
    helpers.engagement(company, stage="model_development")
    client.force_login(staff)
    response = client.get(reverse("ecosystem:company_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Own Co" in body
    assert "Model development" in body


def test_it_searches_by_name_and_credit_code(client, staff, company, other_company):
    client.force_login(staff)
    by_name = client.get(reverse("ecosystem:company_list"), {"q": "own"})
    assert [c.legal_name for c in by_name.context["page_obj"]] == ["Own Co"]
    by_code = client.get(reverse("ecosystem:company_list"), {"q": other_company.uscc[:17].lower()})
    assert [c.legal_name for c in by_code.context["page_obj"]] == ["Other Co"]


def test_it_filters_by_status_industry_city_and_stage(client, staff, company, other_company):
    Company.objects.filter(pk=other_company.pk).update(
        status="applied", industry="healthcare", city="深圳"
    )
    helpers.engagement(company, stage="product_launch")
    client.force_login(staff)
    url = reverse("ecosystem:company_list")
    names = lambda params: [c.legal_name for c in client.get(url, params).context["page_obj"]]  # noqa: E731
    assert names({"status": "applied"}) == ["Other Co"]
    assert names({"industry": "healthcare"}) == ["Other Co"]
    assert names({"city": "深圳"}) == ["Other Co"]
    assert names({"stage": "product_launch"}) == ["Own Co"]
    assert names({"sort": "-name"}) == ["Own Co", "Other Co"]


def test_it_returns_only_the_table_to_htmx(client, staff, company):
    client.force_login(staff)
    response = client.get(reverse("ecosystem:company_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="company-results"' in body
    assert "<html" not in body


def test_it_keeps_a_constant_query_count_on_the_list(client, staff, django_assert_max_num_queries):
    for company in helpers.many_companies(55):
        helpers.engagement(company)
    client.force_login(staff)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("ecosystem:company_list"))
    assert len(response.context["page_obj"]) == 50


def test_it_exports_the_filtered_list(client, staff, company, other_company):
    client.force_login(staff)
    response = client.get(reverse("ecosystem:company_list"), {"q": "Own", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "Own Co" in text and "Other Co" not in text
    xlsx = client.get(reverse("ecosystem:company_list"), {"format": "xlsx"})
    assert xlsx["Content-Disposition"].endswith('.xlsx"')


@pytest.mark.parametrize("who", ["staff", "owner", "member"])
def test_it_shows_the_company_page_to_staff_and_its_members(client, request, who, company):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("ecosystem:company_detail", args=[company.pk]))
    assert response.status_code == 200
    assert "Own Co" in response.content.decode()


def test_it_shows_members_no_staff_actions(client, member, company):
    client.force_login(member)
    body = client.get(reverse("ecosystem:company_detail", args=[company.pk])).content.decode()
    assert reverse("ecosystem:company_admit", args=[company.pk]) not in body
    assert reverse("ecosystem:company_edit", args=[company.pk]) not in body


@pytest.mark.parametrize("who", ["outsider", "coordinator"])
def test_it_hides_a_company_from_others(client, request, who, company):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("ecosystem:company_detail", args=[company.pk])).status_code == 404


def test_it_shows_the_detail_parts(client, staff, company, owner):
    helpers.engagement(company)
    helpers.solution("Smart Inspection Kit", company)
    factories.job(factories.allocation(company))
    client.force_login(staff)
    response = client.get(reverse("ecosystem:company_detail", args=[company.pk]))
    body = response.content.decode()
    assert "Defect detection" in body
    assert "Smart Inspection Kit" in body
    assert "owner" in body
    assert len(response.context["allocations"]) == 1
    assert len(response.context["jobs"]) == 1


def test_it_refuses_a_wrong_check_digit_next_to_the_field(client, staff):
    client.force_login(staff)
    good = factories.uscc(777)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post(
        reverse("ecosystem:company_create"),
        {
            "legal_name": "New Co",
            "uscc": bad,
            "industry": "healthcare",
            "city": "武汉",
            "size": "small",
        },
    )
    assert response.status_code == 200
    assert "check digit" in str(response.context["form"].errors["uscc"])
    assert not Company.objects.filter(legal_name="New Co").exists()


def test_it_creates_and_edits_a_company_with_history(client, staff):
    client.force_login(staff)
    data = {
        "legal_name": "New Co",
        "uscc": factories.uscc(778).lower(),
        "industry": "healthcare",
        "city": "武汉",
        "size": "small",
    }
    response = client.post(reverse("ecosystem:company_create"), data)
    company = Company.objects.get(legal_name="New Co")
    assert response["Location"] == reverse("ecosystem:company_detail", args=[company.pk])
    assert company.uscc == factories.uscc(778)
    assert company.organisation.name == "New Co"
    data.update(city="深圳", applied_on=company.applied_on.isoformat())
    client.post(reverse("ecosystem:company_edit", args=[company.pk]), data)
    event = AuditEvent.objects.filter(action="update").get()
    assert event.before == {"city": "武汉"} and event.after == {"city": "深圳"}
    assert event.actor == staff and event.organisation == company.organisation
    page = client.get(reverse("ecosystem:company_detail", args=[company.pk])).content.decode()
    assert "深圳" in page and "update" in page


def test_it_shows_members_their_own_history(client, staff, member, company):
    client.force_login(staff)
    client.post(reverse("ecosystem:company_admit", args=[company.pk]))
    Company.objects.filter(pk=company.pk).update(status="applied")
    client.post(reverse("ecosystem:company_admit", args=[company.pk]))
    client.force_login(member)
    response = client.get(reverse("ecosystem:company_detail", args=[company.pk]))
    assert len(response.context["history"]) == 1


def test_it_keeps_staff_only_pages_from_members(client, member, company):
    client.force_login(member)
    assert client.get(reverse("ecosystem:company_create")).status_code == 403
    assert client.get(reverse("ecosystem:company_edit", args=[company.pk])).status_code == 403
    assert client.post(reverse("ecosystem:company_exit", args=[company.pk])).status_code == 403


def test_it_renders_every_staff_page(client, staff, company):
    engagement = helpers.engagement(company)
    solution = helpers.solution("Kit", company, status="launched", is_published=True)
    client.force_login(staff)
    for name, args in [
        ("ecosystem:company_create", []),
        ("ecosystem:company_edit", [company.pk]),
        ("ecosystem:company_import", []),
        ("ecosystem:engagement_create", [company.pk]),
        ("ecosystem:engagement_edit", [engagement.pk]),
        ("ecosystem:engagement_detail", [engagement.pk]),
        ("ecosystem:engagement_board", []),
        ("ecosystem:solution_create", []),
        ("ecosystem:solution_edit", [solution.pk]),
        ("ecosystem:solution_detail", [solution.pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert "<html" in response.content.decode(), name


def test_it_exports_the_declared_columns(client, staff, company):
    helpers.engagement(company, stage="model_development")
    client.force_login(staff)
    response = client.get(reverse("ecosystem:company_list"), {"format": "csv"})
    header, row = csv.reader(response.content.decode("utf-8-sig").splitlines())
    assert header[0] == "Legal name" and header[-1] == "Lifecycle stage"
    assert row == [
        "Own Co",
        company.uscc,
        "Smart manufacturing",
        "武汉",
        "Small (10–99)",
        "Incubating",
        "Model development",
    ]
