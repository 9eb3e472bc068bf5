"""Capacity in a real browser: a reviewer tries to over-commit a pool, reads the numbers,
gives the reason and approves."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent, Membership
from innovation_center.compute.models import AllocationRequest
from innovation_center.compute.services import allocation_request_create
from innovation_center.core import clock
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_over_commits_a_pool_only_with_a_reason(page, live_server):
    factories.center_staff("reviewer", role=Membership.Role.CENTER_REVIEWER)
    company = factories.company("Chutian Vision")
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    factories.accelerator()  # one device: 24 h a day
    start = clock.today() + dt.timedelta(days=1)
    request = allocation_request_create(
        company=company,
        actor=owner,
        hours=Decimal("500"),
        device_cap=2,
        starts_on=start,
        ends_on=start + dt.timedelta(days=20),  # 480 device-hours in service
        purpose="Fine-tune a steel defect detector",
        accelerator_type=factories.accelerator_type(),
    )
    log_in(page, live_server, "reviewer", factories.PASSWORD)
    page.goto(live_server.url + reverse("compute:review_queue"))
    row = page.locator(f"#request-row-{request.pk}")
    assert row.get_by_text("exceeds").is_visible()
    row.get_by_role("button", name="Approve").click()
    row = page.locator(f"#request-row-{request.pk}")
    row.get_by_text("over-commits it by 20 h").wait_for()
    assert row.get_by_text("480 h in service").first.is_visible()
    screenshot(page, "reviewer-over-commit-refused")
    row.locator('input[name$="-overcommit_reason"]').fill("Two devices arrive next week")
    row.get_by_role("button", name="Approve").click()
    page.wait_for_function(
        f"document.querySelector('#request-row-{request.pk}').innerText.includes('Approved')"
    )
    request.refresh_from_db()
    assert request.status == AllocationRequest.Status.APPROVED
    event = AuditEvent.objects.get(action="approve")
    assert event.after["overcommit_reason"] == "Two devices arrive next week"
