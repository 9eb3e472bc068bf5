"""The pages whose inline scripts and styles moved to static files, in a real browser.

The shared check in conftest.py fails a test on any Content-Security-Policy violation; these
journeys visit what the other journeys do not, and check the moved behaviour still works.
"""

import re

import pytest
from django.urls import reverse

from innovation_center.compute.models import Allocation
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_pages_look_and_behave_as_before_under_the_policy(page, live_server):
    factories.center_staff("admin")
    company = factories.company("Policy Vision")
    grant = factories.allocation(company, hours="80")
    factories.accelerator()
    log_in(page, live_server, "admin", factories.PASSWORD)

    page.goto(live_server.url + reverse("compute:capacity"))
    level = page.locator(".legend .level-2")
    assert level.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(200, 230, 201)"

    page.goto(live_server.url + reverse("ecosystem:engagement_board"))
    columns = page.locator("#board .columns")
    assert columns.evaluate("e => getComputedStyle(e).display") == "grid"

    page.goto(live_server.url + reverse("reports:dashboard"))
    chart = page.locator("svg.chart-svg").first
    assert chart.evaluate("e => getComputedStyle(e).borderTopWidth") == "1px"

    # The revoke form asks first (data-confirm, static/js/app.js): dismissed, nothing changes.
    page.goto(live_server.url + reverse("compute:allocation_detail", args=[grant.pk]))
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Revoke the allocation").click()
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith(f"Revoke allocation #{grant.pk}?")
    assert Allocation.objects.get(pk=grant.pk).status == Allocation.Status.ACTIVE

    # The print button still prints (data-print): count window.print() calls.
    page.goto(live_server.url + reverse("reports:monthly"))
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") == 1

    # Choosing a language submits the switch at once (data-submit-on-change).
    page.select_option("#language-switch", "zh-hans")
    page.wait_for_load_state("load")
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")


def test_the_api_docs_load_from_our_own_files_under_the_policy(page, live_server):
    page.goto(live_server.url + reverse("api:docs"))
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Innovation Center API" in page.locator(".swagger-ui .info .title").inner_text()

    page.goto(live_server.url + reverse("api:redoc"))
    page.get_by_role("heading", name=re.compile("Innovation Center API")).first.wait_for()
