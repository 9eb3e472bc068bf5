"""The main journeys of each role, in a real browser, each leaving a screenshot."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from innovation_center.accounts.models import Membership
from innovation_center.compute.models import AllocationRequest, Lease
from innovation_center.compute.services import allocation_request_create
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company
from innovation_center.talent.models import Course, Program
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_admits_a_company_and_approves_its_compute_request(page, live_server):
    factories.center_staff("reviewer", role=Membership.Role.CENTER_REVIEWER)
    company = factories.company("Chutian Vision", status=Company.Status.APPLIED)
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    factories.accelerator()
    request = allocation_request_create(
        company=company,
        actor=owner,
        hours=Decimal("500"),
        device_cap=2,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=60),
        purpose="Fine-tune a steel defect detector",
        accelerator_type=factories.accelerator_type(),
    )
    log_in(page, live_server, "reviewer", factories.PASSWORD)

    page.goto(live_server.url + reverse("ecosystem:company_detail", args=[company.pk]))
    page.get_by_role("button", name="Admit").click()
    page.wait_for_load_state()
    assert page.get_by_text("Admitted", exact=True).first.is_visible()

    page.goto(live_server.url + reverse("compute:review_queue"))
    row = page.locator(f"#request-row-{request.pk}")
    row.locator('input[name$="-hours"]').first.fill("300")
    row.get_by_role("button", name="Approve").click()
    page.wait_for_function(
        f"!document.querySelector('#request-row-{request.pk} button')"
        f" || document.querySelector('#request-row-{request.pk}').innerText.includes('Approved')"
    )
    screenshot(page, "staff-review")
    company.refresh_from_db()
    request.refresh_from_db()
    assert company.status == Company.Status.ADMITTED
    assert request.status == AllocationRequest.Status.APPROVED
    assert request.granted_hours == Decimal("300")


def test_a_coordinator_logs_a_course(page, live_server):
    university = factories.university("Wuhan University")
    factories.member(university.organisation, Membership.Role.COORDINATOR, "coordinator")
    factories.program(Program.Kind.COURSE)
    log_in(page, live_server, "coordinator", factories.PASSWORD)

    page.goto(live_server.url + reverse("talent:course_create"))
    page.select_option("select[name=program]", index=1)
    page.fill("input[name=title]", "Ascend AI fundamentals")
    page.fill("input[name=year]", "2021")
    page.select_option("select[name=term]", "autumn")
    page.fill("textarea[name=teachers]", "王芳\n李强")
    page.fill("input[name=students_enrolled]", "180")
    page.fill("input[name=hours]", "32")
    page.get_by_role("button", name="Save").click()
    page.goto(live_server.url + reverse("talent:course_list"))
    assert page.get_by_text("Ascend AI fundamentals").first.is_visible()
    screenshot(page, "coordinator-course")
    course = Course.objects.get()
    assert (course.university, course.students_enrolled) == (university, 180)
    assert sorted(course.teachers.values_list("name", flat=True)) == ["李强", "王芳"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_dashboard_renders_its_charts(page, live_server, language):
    factories.center_staff("admin")
    device = factories.accelerator()
    grant = factories.allocation(factories.company("Chutian Vision"))
    now = timezone.now()
    Lease.objects.create(
        accelerator=device,
        allocation=grant,
        started_at=now - dt.timedelta(hours=5),
        ended_at=now - dt.timedelta(minutes=1),
    )
    university = factories.university("华中科技大学")
    course = Course.objects.create(
        university=university,
        program=factories.program(Program.Kind.COURSE),
        title="昇腾 AI 原理",
        year=2021,
        term="autumn",
        students_enrolled=300,
        hours=32,
    )
    course.teachers.create(university=university, name="王芳")
    log_in(page, live_server, "admin", factories.PASSWORD)
    if language != "en":
        # The switch submits itself on change and the server remembers the choice.
        with page.expect_navigation():
            page.select_option("#language-switch", language)
    page.goto(live_server.url + reverse("reports:dashboard"))
    charts = page.locator("main svg[role=img]")
    assert charts.count() == 3
    for index in range(3):
        assert charts.nth(index).bounding_box()["height"] > 30
    assert page.locator("main svg rect[fill='#0b5cad']").count() == 1  # one company's bar
    heading = page.locator("h1").inner_text()
    assert heading == ("Center dashboard" if language == "en" else "中心总览")
    assert page.locator("html").get_attribute("lang") == language
    screenshot(page, f"dashboard-{language}")


def test_a_company_member_uploads_a_model_submits_a_job_and_sees_the_result_appear(
    page, live_server, workers, tmp_path
):
    from tests.evaluation.helpers import digits_model_bytes

    company = factories.company("Chutian Vision")
    factories.member(company.organisation, Membership.Role.COMPANY_MEMBER, "member")
    factories.allocation(company, hours="50", device_cap=2)
    for _ in range(2):
        factories.accelerator()
    digits = factories.builtin_dataset("digits")
    model_file = tmp_path / "digits-mlp.npz"
    model_file.write_bytes(digits_model_bytes())
    workers.start("portal")
    workers.wait_ready("portal")
    log_in(page, live_server, "member", factories.PASSWORD)

    page.goto(live_server.url + reverse("evaluation:model_upload"))
    page.fill("input[name=name]", "digits-mlp")
    page.set_input_files("input[name=file]", str(model_file))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert page.get_by_text("64 → 32 (relu) → 10 (softmax)").first.is_visible()

    page.goto(live_server.url + reverse("evaluation:job_submit"))
    page.select_option("select[name=model]", label="digits-mlp")
    page.select_option("select[name=dataset]", value=str(digits.pk))
    page.fill("input[name=devices]", "2")
    page.get_by_role("button", name="Estimate").click()
    page.get_by_role("button", name="Confirm and submit").click()
    page.wait_for_url(re.compile(r".*/portal/jobs/\d+/$"))
    job_url = page.url
    # The status section polls; the result appears without a reload of the page.
    page.evaluate("window.__no_reload_marker = 42")
    page.locator("#job-status").get_by_text("Accuracy").first.wait_for(timeout=90_000)
    assert page.evaluate("window.__no_reload_marker") == 42
    assert page.url == job_url
    screenshot(page, "company-job-result")
