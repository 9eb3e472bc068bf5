import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_logs_in_and_shows_the_home_page(client):
    factories.center_staff("staff")
    factories.site("wuhan", name="Wuhan AI Computing Center", is_home=True)
    response = client.post(
        reverse("accounts:login"), {"username": "staff", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "Center overview" in page.content.decode()
    assert "Wuhan AI Computing Center" in page.content.decode()


def test_it_counts_only_the_member_own_company_on_home(client):
    company = factories.company("Mine")
    factories.company("Theirs")
    client.force_login(factories.member(company.organisation, Membership.Role.COMPANY_MEMBER))
    response = client.get(reverse("home"))
    assert response.context["companies"] == 1


def test_it_tells_an_unaffiliated_user_what_to_do(client):
    client.force_login(factories.user())
    assert "not a member of any organisation" in client.get(reverse("home")).content.decode()


def test_it_serves_the_admin_to_staff(client):
    client.force_login(factories.center_staff())
    assert client.get(reverse("admin:index")).status_code in (200, 302)
    admin = factories.user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for url in ("admin:ecosystem_company_changelist", "admin:compute_lease_changelist"):
        assert client.get(reverse(url)).status_code == 200


def test_it_answers_the_health_check(client):
    assert client.get(reverse("core:health")).json() == {"status": "ok"}


def test_it_switches_to_chinese_and_remembers_it(client):
    client.force_login(factories.user())
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("home"))
    assert page.context["LANGUAGE_CODE"] == "zh-hans"
    assert 'lang="zh-hans"' in page.content.decode()
