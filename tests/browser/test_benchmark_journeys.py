"""A benchmark suite in a real browser: an owner submits a model, follows the run and finds it
on the leaderboard; staff verify it and the badge appears; another company sees none of it."""

import re

import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.benchmarks.models import Submission
from tests import factories
from tests.benchmarks.conftest import company_model, digits_suite
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_submits_to_a_suite_and_staff_verify_the_result(page, live_server, workers):
    staff = factories.center_staff("verifier")
    suite = digits_suite(
        staff=staff, device_type=factories.fleet(2)[0].accelerator_type, device_cap=1, hours="10"
    )
    company = factories.company("Chutian Vision")
    factories.member(company.organisation, Membership.Role.COMPANY_OWNER, "owner")
    model, _owner = company_model(company)
    rival = factories.company("Other Co")
    factories.member(rival.organisation, Membership.Role.COMPANY_MEMBER, "rival")
    workers.start("bench")
    workers.wait_ready("bench")

    log_in(page, live_server, "owner", factories.PASSWORD)
    suite_url = live_server.url + reverse("benchmarks:suite_detail", args=[suite.slug])
    page.goto(suite_url)
    assert page.get_by_text("540 rows of 64 features").is_visible()
    page.select_option("select[name=model]", label=model.name)
    page.get_by_role("button", name="Submit to the suite").click()
    page.get_by_text("it runs on the center's hours").wait_for()
    submission = Submission.objects.get()
    # The run is on the page from the start (queued, running or done) and links to its job,
    # whose status section polls until the result is there.
    page.get_by_role("link", name=f"#{submission.job_id}").click()
    page.wait_for_url(re.compile(rf".*/portal/jobs/{submission.job_id}/$"))
    page.locator("#job-status").get_by_text("Accuracy").first.wait_for(timeout=90_000)
    page.goto(suite_url)
    line = page.locator("tbody tr", has_text=model.name).first
    assert line.get_by_text("not listed: only you see this line").is_visible()
    assert line.get_by_text("Not yet").is_visible()
    screenshot(page, "suite-owner-line")

    page.context.clear_cookies()
    log_in(page, live_server, "verifier", factories.PASSWORD)
    job_url = live_server.url + reverse("evaluation:job_detail", args=[submission.job_id])
    page.goto(job_url)
    page.get_by_role("button", name="Verify on a center allocation").click()
    page.get_by_text("is being re-run as job").wait_for()
    for _ in range(90):  # the re-run takes a worker's round; the page shows it when done
        page.goto(job_url)
        if page.locator("#job-result .badge.ok", has_text="Verified").count():
            break
        page.wait_for_timeout(1000)
    assert page.locator("#job-result .badge.ok", has_text="Verified").is_visible()
    page.goto(suite_url)
    assert page.locator("tbody tr", has_text=model.name).first.locator(".badge.ok").is_visible()
    screenshot(page, "suite-verified")

    page.context.clear_cookies()
    log_in(page, live_server, "rival", factories.PASSWORD)
    assert page.goto(job_url).status == 404
    page.goto(suite_url)
    assert page.get_by_text(model.name).count() == 0
    assert page.get_by_text("Your company has not submitted to this suite yet.").is_visible()
