import pytest
from django.db import IntegrityError
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem import services
from innovation_center.ecosystem.models import Solution
from tests import factories
from tests.ecosystem import helpers

pytestmark = pytest.mark.django_db


def names(response):
    return [s.name for s in response.context["page_obj"]]


@pytest.fixture
def catalogue(company, other_company):
    return {
        "own": helpers.solution("Own Kit", company),
        "other": helpers.solution("Other Kit", other_company),
        "case": helpers.solution(
            "Public Case", other_company, status="launched", is_published=True
        ),
    }


def test_it_sends_anonymous_visitors_to_login(client):
    response = client.get(reverse("ecosystem:solution_list"))
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_lists_everything_to_staff_with_companies(client, staff, catalogue):
    client.force_login(staff)
    response = client.get(reverse("ecosystem:solution_list"))
    assert names(response) == ["Other Kit", "Own Kit", "Public Case"]
    assert "Other Co" in response.content.decode()


@pytest.mark.parametrize("who", ["owner", "member"])
def test_it_lists_own_solutions_and_published_cases_to_members(client, request, who, catalogue):
    client.force_login(request.getfixturevalue(who))
    assert names(client.get(reverse("ecosystem:solution_list"))) == ["Own Kit", "Public Case"]


def test_it_lists_only_published_cases_to_a_coordinator(client, coordinator, catalogue):
    client.force_login(coordinator)
    assert names(client.get(reverse("ecosystem:solution_list"))) == ["Public Case"]


def test_it_filters_the_catalogue(client, staff, catalogue):
    client.force_login(staff)
    url = reverse("ecosystem:solution_list")
    assert names(client.get(url, {"status": "launched"})) == ["Public Case"]
    assert names(client.get(url, {"published": "no"})) == ["Other Kit", "Own Kit"]
    assert names(client.get(url, {"vertical": "healthcare"})) == []


def test_it_returns_only_the_table_to_htmx(client, staff, catalogue):
    client.force_login(staff)
    response = client.get(reverse("ecosystem:solution_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="solution-results"' in body and "<html" not in body


def test_it_exports_what_the_member_sees(client, member, catalogue):
    client.force_login(member)
    response = client.get(reverse("ecosystem:solution_list"), {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert "Own Kit" in text and "Public Case" in text and "Other Kit" not in text


def test_it_keeps_a_constant_query_count_on_the_catalogue(
    client, staff, django_assert_max_num_queries
):
    companies = helpers.many_companies(5)
    for n in range(55):
        helpers.solution(f"Solution {n:02d}", *companies[: 1 + n % 5])
    client.force_login(staff)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("ecosystem:solution_list"))
    assert len(response.context["page_obj"]) == 50


def test_it_shows_a_published_case_to_every_signed_in_user(client, coordinator, catalogue):
    client.force_login(coordinator)
    response = client.get(reverse("ecosystem:solution_detail", args=[catalogue["case"].pk]))
    assert response.status_code == 200
    assert response.context["history"] is None


@pytest.mark.parametrize("who", ["coordinator", "outsider"])
def test_it_hides_unpublished_solutions_of_others(client, request, who, catalogue):
    client.force_login(request.getfixturevalue(who))
    url = reverse("ecosystem:solution_detail", args=[catalogue["own"].pk])
    assert client.get(url).status_code == 404


def test_it_publishes_only_launched_solutions(staff, catalogue):
    with pytest.raises(ApplicationError, match="Only a launched solution can be published"):
        services.solution_publish(solution=catalogue["own"], actor=staff)
    launched = helpers.solution("Launched", status="launched")
    with pytest.raises(ApplicationError, match="has no case text yet"):
        services.solution_publish(solution=launched, actor=staff)
    assert not AuditEvent.objects.filter(action="publish").exists()
    Solution.objects.filter(pk=launched.pk).update(showcase_text="Inspection of 40 lines.")
    services.solution_publish(solution=launched, actor=staff)
    launched.refresh_from_db()
    assert launched.is_published
    assert AuditEvent.objects.filter(action="publish").count() == 1


def test_it_has_the_database_refuse_publishing_an_unlaunched_solution(catalogue):
    with pytest.raises(IntegrityError):
        Solution.objects.filter(pk=catalogue["own"].pk).update(is_published=True)


def test_it_has_the_database_refuse_a_published_solution_without_case_text(catalogue):
    with pytest.raises(IntegrityError):
        Solution.objects.filter(pk=catalogue["case"].pk).update(showcase_text="")


def test_it_publishes_and_withdraws_from_the_page(client, staff, catalogue):
    client.force_login(staff)
    url = reverse("ecosystem:solution_publish", args=[catalogue["own"].pk])
    page = client.post(url, {"publish": "1"}, follow=True).content.decode()
    assert "Only a launched solution can be published" in page
    client.post(
        reverse("ecosystem:solution_publish", args=[catalogue["case"].pk]), {"publish": "0"}
    )
    catalogue["case"].refresh_from_db()
    assert not catalogue["case"].is_published


def test_it_keeps_publishing_for_staff(client, owner, catalogue):
    client.force_login(owner)
    url = reverse("ecosystem:solution_publish", args=[catalogue["own"].pk])
    assert client.post(url).status_code == 403
    assert client.get(reverse("ecosystem:solution_create")).status_code == 403


def test_it_creates_and_edits_a_solution_with_history(client, staff, company, member):
    client.force_login(staff)
    client.post(
        reverse("ecosystem:solution_create"),
        {
            "name": "Kit",
            "vertical": "healthcare",
            "status": "incubating",
            "companies": [company.pk],
        },
    )
    solution = Solution.objects.get(name="Kit")
    assert list(solution.companies.all()) == [company]
    client.post(
        reverse("ecosystem:solution_edit", args=[solution.pk]),
        {"name": "Kit", "vertical": "healthcare", "status": "launched", "companies": [company.pk]},
    )
    solution.refresh_from_db()
    assert solution.status == "launched" and solution.launched_on
    client.force_login(member)
    page = client.get(reverse("ecosystem:solution_detail", args=[solution.pk]))
    assert [e.action for e in page.context["history"]] == ["update", "create"]


def test_it_unpublishes_a_case_that_leaves_launched(staff):
    case = helpers.solution("Case", status="launched", is_published=True)
    services.solution_update(actor=staff, solution=case, data={"status": "verified"})
    case.refresh_from_db()
    assert not case.is_published


def test_it_lets_a_member_without_a_company_solution_see_only_cases(client, catalogue):
    loner = factories.user()
    client.force_login(loner)
    assert names(client.get(reverse("ecosystem:solution_list"))) == ["Public Case"]


def test_it_exports_dates_flags_and_companies(client, staff, company, other_company):
    helpers.solution("Kit", company, other_company, status="launched", is_published=True)
    client.force_login(staff)
    response = client.get(reverse("ecosystem:solution_list"), {"format": "csv"})
    row = response.content.decode("utf-8-sig").splitlines()[1]
    assert row == '"Kit","Smart city","Launched","2024-06-01","yes","Other Co; Own Co"'
