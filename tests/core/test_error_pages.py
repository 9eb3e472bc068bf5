"""Error pages are the site's own, in the active language, and say why and where to go."""

import pytest
from django.test import override_settings
from django.utils import translation

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]


def test_404_in_the_layout_for_a_signed_in_partner(client, owner):
    client.force_login(owner)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Back to your home page" in html
    # The site's layout with the partner's menu, not Django's technical page with the URL list.
    assert 'class="top"' in html and "Log out" in html
    assert "URLconf" not in html and "api/v1/" not in html


def test_404_for_an_anonymous_visitor_offers_the_login(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "/accounts/login/?next=/no/such/page/" in response.content.decode()


def test_403_names_its_reason(client, member):
    client.force_login(member)
    response = client.get("/fail/403/")
    assert response.status_code == 403
    assert "Only a company owner may request compute." in response.content.decode()


def test_403_without_a_reason_says_the_role_does_not_include_it(client, member):
    client.force_login(member)
    response = client.get("/fail/403-plain/")
    assert response.status_code == 403
    assert "Your role in your organisation does not include this page." in response.content.decode()


def test_error_pages_follow_the_language(client, owner):
    client.force_login(owner)
    with translation.override("zh-hans"):
        response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'lang="zh-hans"' in html
    assert "Page not found" not in html and "Error 404" not in html
    assert "页面没有找到" in html


@override_settings(DEBUG=False)
def test_400_and_500_render_without_touching_the_request(client):
    client.raise_request_exception = False
    bad = client.get("/fail/400/")
    assert bad.status_code == 400
    assert "The request could not be understood" in bad.content.decode()
    broken = client.get("/fail/500/")
    assert broken.status_code == 500
    html = broken.content.decode()
    assert "Something went wrong on our side" in html
    assert "boom" not in html
