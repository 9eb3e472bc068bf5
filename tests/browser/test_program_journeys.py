"""An incubation call in a real browser: staff open a call; a new company registers from the
public page, gets its account by invitation and applies with a file; a panel member declares
a conflict and is never assigned; two reviewers score; staff accept; the company is admitted
with its first engagement and reads the decision."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from innovation_center.core import clock
from innovation_center.ecosystem.models import Company, Engagement, LifecycleStage
from innovation_center.programs.models import Application, Call, Review
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.programs.call_factories import PDF, judge

pytestmark = pytest.mark.django_db(transaction=True)

INVITATION = re.compile(r"https?://[^/\s]+(/accounts/invitations/accept/\S+/)")


def test_staff_open_a_call_a_company_applies_two_reviewers_score_and_staff_accept(
    page, live_server, mailoutbox
):
    factories.center_staff("director")
    for name in ("judge1", "judge2", "judge3"):
        judge(name)
    today = clock.today()
    url = live_server.url

    # Staff open the call: texts, a question, a two-line rubric, a panel of three.
    log_in(page, live_server, "director", factories.PASSWORD)
    page.goto(url + reverse("programs:call_list"))
    page.get_by_role("link", name="New call").click()
    page.select_option("select[name=kind]", "incubation")
    page.fill("input[name=slug]", "autumn-2026")
    page.fill("input[name=title]", "Autumn cohort 2026")
    page.fill("input[name=title_zh]", "2026 秋季孵化营")
    page.fill("textarea[name=text]", "Six months at the center for AI start-ups.")
    page.fill("input[name=opens_on]", today.isoformat())
    page.fill("input[name=closes_at]", f"{(today + dt.timedelta(days=30)).isoformat()}T18:00")
    page.fill("input[name=questions-0-text]", "What do you build?")
    page.fill("input[name=criteria-0-name]", "Team")
    page.fill("input[name=criteria-0-weight]", "1")
    page.fill("input[name=criteria-1-name]", "Market")
    page.fill("input[name=criteria-1-weight]", "3")
    for name in ("judge1", "judge2", "judge3"):
        page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("publish it when it is ready").wait_for()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("The call is published").wait_for()
    call = Call.objects.get(slug="autumn-2026")
    assert call.is_published and call.panel.count() == 3

    # A new company registers on the public page and gets its account by invitation.
    page.context.clear_cookies()
    public = url + reverse("programs:call_public", args=[call.slug])
    page.goto(public)
    assert page.get_by_text("What do you build?").is_visible()
    page.fill("input[name=legal_name]", "Chutian Vision")
    page.fill("input[name=uscc]", factories.uscc())
    page.select_option("select[name=industry]", "smart_manufacturing")
    page.fill("input[name=city]", "武汉")
    page.fill("input[name=email]", "founder@chutian.example")
    page.get_by_role("button", name="Register and get the invitation").click()
    page.get_by_text("We sent an invitation e-mail to founder@chutian.example").wait_for()
    company = Company.objects.get(legal_name="Chutian Vision")
    assert company.status == Company.Status.APPLIED
    [mail] = [m for m in mailoutbox if m.to == ["founder@chutian.example"]]
    page.goto(url + INVITATION.search(mail.body).group(1))
    page.fill("input[name=given_name]", "Lei")
    page.fill("input[name=family_name]", "Wang")
    page.fill("input[name=password1]", "Autumn-Cohort-2026!")
    page.fill("input[name=password2]", "Autumn-Cohort-2026!")
    page.get_by_role("button", name="Accept the invitation").click()
    page.wait_for_url(f"{url}/")

    # The founder applies: answers, a file, submits.
    page.goto(public)
    page.get_by_role("button", name="Start an application").click()
    page.wait_for_url(re.compile(r".*/programs/applications/\d+/$"))
    page.fill("textarea[name=summary]", "Vision models for steel inspection.")
    page.get_by_label("What do you build?").fill("Defect detection on rolling lines.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Your changes are saved.").wait_for()
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "business-plan.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.get_by_role("button", name="Attach").click()
    page.get_by_text("business-plan.pdf is attached.").wait_for()
    page.get_by_role("button", name="Submit the application").click()
    page.get_by_text("Your application is submitted.").wait_for()
    application = Application.objects.get(call=call, company=company)
    assert application.status == Application.Status.SUBMITTED
    screenshot(page, "program-application-submitted")

    # The third panel member declares a conflict with the company.
    page.context.clear_cookies()
    log_in(page, live_server, "judge3", factories.PASSWORD)
    page.goto(url + reverse("programs:conflict_list"))
    page.select_option("select[name=company]", label="Chutian Vision")
    page.fill("input[name=reason]", "I advise its founders.")
    page.get_by_role("button", name="Declare the conflict").click()
    page.get_by_text("Your conflict with Chutian Vision is recorded").wait_for()

    # Staff assign the reviewers: the two without a conflict.
    page.context.clear_cookies()
    log_in(page, live_server, "director", factories.PASSWORD)
    ranking = url + reverse("programs:call_applications", args=[call.slug])
    page.goto(ranking)
    page.get_by_role("button", name="Assign reviewers").click()
    page.get_by_text("2 new assignments").wait_for()
    reviewers = sorted(
        Review.objects.filter(application=application).values_list("reviewer__username", flat=True)
    )
    assert reviewers == ["judge1", "judge2"]

    # Two reviewers score against the rubric: (4 + 3×5)/4 = 4.75 and (3 + 3×4)/4 = 3.75.
    team, market = call.criteria.values_list("pk", flat=True)
    for name, values in (("judge1", (4, 5)), ("judge2", (3, 4))):
        page.context.clear_cookies()
        log_in(page, live_server, name, factories.PASSWORD)
        page.goto(url + reverse("programs:my_reviews"))
        page.get_by_role("link", name="Score it").click()
        assert page.get_by_text("Defect detection on rolling lines.").is_visible()
        page.check(f"input[name=score_{team}][value='{values[0]}']")
        page.check(f"input[name=score_{market}][value='{values[1]}']")
        page.fill("textarea[name=comments]", f"Scored by {name}.")
        page.get_by_role("button", name="Submit the review").click()
        page.get_by_text("Your review of Chutian Vision is submitted.").wait_for()
    page.context.clear_cookies()
    log_in(page, live_server, "judge3", factories.PASSWORD)
    page.goto(url + reverse("programs:my_reviews"))
    assert page.get_by_text("No application is assigned to you.").is_visible()

    # Staff read the ranking and accept.
    page.context.clear_cookies()
    log_in(page, live_server, "director", factories.PASSWORD)
    page.goto(ranking)
    line = page.locator("#ranking tbody tr", has_text="Chutian Vision")
    assert line.get_by_text("4.25").is_visible() and line.get_by_text("1.00").is_visible()
    screenshot(page, "program-ranking")
    line.get_by_role("link", name="Chutian Vision").click()
    page.get_by_label("Accept").check()
    page.fill("textarea[name=feedback]", "Welcome to the autumn cohort.")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_text("Chutian Vision is accepted; the company was told.").wait_for()
    company.refresh_from_db()
    assert company.status == Company.Status.ADMITTED
    engagement = Engagement.objects.get(company=company)
    assert engagement.stage == LifecycleStage.SCENARIO_ANALYSIS
    assert engagement.title == "Autumn cohort 2026: scenario analysis"
    assert page.get_by_role("link", name="Autumn cohort 2026: scenario analysis").is_visible()

    # The founder reads the decision, without any reviewer's scores or comments.
    page.context.clear_cookies()
    log_in(page, live_server, "founder@chutian.example", "Autumn-Cohort-2026!")
    page.goto(url + reverse("programs:application_detail", args=[application.pk]))
    assert page.get_by_text("Accepted.").is_visible()
    assert page.get_by_text("Welcome to the autumn cohort.").is_visible()
    assert page.get_by_text("Scored by judge1.").count() == 0
    screenshot(page, "program-accepted")
