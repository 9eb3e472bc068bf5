"""People in a real browser: a company gets its first login from an invitation, invites a
colleague, removes them again; a forgotten password is reset in Chinese."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.accounts.services import api_token_issue
from innovation_center.ecosystem.models import Company
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.services.uploads import model_upload
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.evaluation.helpers import digits_model_bytes

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://[^/\s]+(/accounts/(?:invitations/accept|password/reset)/\S+/)")


def link_in(mail) -> str:
    return LINK.search(mail.body).group(1)


def mail_to(outbox, address):
    [mail] = [m for m in outbox if m.to == [address]]
    return mail


def accept(page, live_server, path, *, given, family, password):
    page.goto(live_server.url + path)
    page.fill("input[name=given_name]", given)
    page.fill("input[name=family_name]", family)
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.get_by_role("button", name="Accept the invitation").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_company_gets_its_owner_by_invitation_and_the_owner_manages_members(
    browser, live_server, mailoutbox
):
    factories.center_staff("admin")
    company = Company.objects.get(pk=factories.company("楚天视觉", status="applied").pk)
    factories.allocation(company, hours="50", device_cap=1)
    factories.accelerator()
    model_upload(
        company=company,
        actor=None,
        name="digits-mlp",
        upload=SimpleUploadedFile("digits.npz", digits_model_bytes()),
    )
    digits = factories.builtin_dataset("digits")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    staff, owner, member = (context.new_page() for context in contexts)
    for page in (staff, owner, member):
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())

    # Staff admit the company and are taken straight to inviting its first owner.
    log_in(staff, live_server, "admin", factories.PASSWORD)
    staff.goto(live_server.url + reverse("ecosystem:company_detail", args=[company.pk]))
    staff.get_by_role("button", name="Admit").click()
    staff.wait_for_url(re.compile(r".*/accounts/organisations/\d+/invite/$"))
    staff.fill("input[name=email]", "chen.jing@chutian.example.com")
    staff.select_option("select[name=role]", "company_owner")
    staff.get_by_role("button", name="Send the invitation").click()
    staff.wait_for_url(re.compile(r".*/people/$"))
    assert staff.locator("#invitations").get_by_text("chen.jing@chutian.example.com").is_visible()
    assert len(mailoutbox) == 1

    # The owner accepts, chooses a password and invites a colleague.
    accept(
        owner,
        live_server,
        link_in(mailoutbox[0]),
        given="静",
        family="陈",
        password="owner-long-phrase",
    )
    assert owner.locator("header").get_by_text("陈静").is_visible()
    owner.get_by_role("link", name="People").click()
    owner.get_by_role("link", name="Invite someone").click()
    owner.fill("input[name=email]", "wang.lei@chutian.example.com")
    owner.select_option("select[name=role]", "company_member")
    owner.get_by_role("button", name="Send the invitation").click()
    owner.wait_for_url(re.compile(r".*/people/$"))
    # (The admin also heard by e-mail that the owner joined.)
    invitation_mail = mail_to(mailoutbox, "wang.lei@chutian.example.com")

    # The member accepts and submits a job on the company's allocation.
    accept(
        member,
        live_server,
        link_in(invitation_mail),
        given="磊",
        family="王",
        password="member-long-phrase",
    )
    member.goto(live_server.url + reverse("evaluation:job_submit"))
    member.select_option("select[name=model]", label="digits-mlp")
    member.select_option("select[name=dataset]", value=str(digits.pk))
    member.fill("input[name=devices]", "1")
    member.get_by_role("button", name="Estimate").click()
    member.get_by_role("button", name="Confirm and submit").click()
    member.wait_for_url(re.compile(r".*/portal/jobs/\d+/$"))
    account = get_user_model().objects.get(email="wang.lei@chutian.example.com")
    assert EvaluationJob.objects.filter(submitted_by=account).count() == 1
    _token, key = api_token_issue(user=account, name="laptop")
    assert (
        member.request.get(
            live_server.url + "/api/v1/jobs/", headers={"Authorization": f"Bearer {key}"}
        ).status
        == 200
    )

    # The owner removes the member: their session and their token stop at once.
    owner.reload()
    row = owner.locator(f"#member-{Membership.objects.get(user=account).pk}")
    row.get_by_role("button", name="Remove").click()
    owner.wait_for_load_state()
    assert owner.get_by_text("was removed from").is_visible()
    screenshot(owner, "people-owner")
    member.goto(live_server.url + reverse("evaluation:job_list"))
    assert "/accounts/login/" in member.url
    assert (
        member.request.get(
            live_server.url + "/api/v1/jobs/", headers={"Authorization": f"Bearer {key}"}
        ).status
        == 401
    )
    for context in contexts:
        context.close()


def test_a_forgotten_password_is_reset_in_chinese(browser, live_server, mailoutbox):
    person = factories.user("lina", first_name="娜", last_name="李")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_role("link", name="忘记密码？").click()
    assert page.locator("h1").inner_text() == "重置密码"
    page.fill("input[name=email]", person.email)
    page.get_by_role("button", name="发送链接").click()
    page.wait_for_url(re.compile(r".*/password/reset/sent/$"))
    [mail] = mailoutbox
    assert "密码" in mail.subject
    page.goto(live_server.url + link_in(mail))
    page.fill("input[name=new_password1]", "新的-long-phrase-1")
    page.fill("input[name=new_password2]", "新的-long-phrase-1")
    page.get_by_role("button", name="设置密码").click()
    page.wait_for_url(re.compile(r".*/password/reset/done/$"))
    screenshot(page, "password-reset-zh-hans")
    page.get_by_role("link", name="用新密码登录").click()
    page.fill("input[name=username]", "lina")
    page.fill("input[name=password]", "新的-long-phrase-1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    context.close()
