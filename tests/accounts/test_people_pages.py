"""Invitations, members and the people page, in the browser's terms (Django test client)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from innovation_center.accounts import people as services
from innovation_center.accounts.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    LoginSession,
    Membership,
    Notification,
    Profile,
)
from innovation_center.accounts.services import api_token_issue
from innovation_center.core.errors import ApplicationError
from tests import factories

LINK = re.compile(r"https?://[^/\s]+(/accounts/invitations/accept/[^/\s]+/)")


def link_in(mail) -> str:
    match = LINK.search(mail.body)
    assert match, mail.body
    return match.group(1)


@pytest.fixture
def other_owner(other_company):
    return factories.member(other_company.organisation, Membership.Role.COMPANY_OWNER, "boss_b")


def invite(actor, organisation, email, role, capture, language="en"):
    with capture(execute=True):
        return services.invitation_create(
            actor=actor, organisation=organisation, email=email, role=role, language=language
        )


# Invitations -------------------------------------------------------------------------------


def test_staff_invite_a_first_owner_who_creates_an_account_by_the_link(
    client, staff, company, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    url = reverse("accounts:invite", args=[company.organisation_id])
    page = client.get(url)
    assert page.status_code == 200
    # A company without an owner: the form offers the owner role first.
    assert 'value="company_owner" selected' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"email": "Chen.Jing@Example.COM", "role": "company_owner", "language": "zh-hans"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "Chen.Jing@example.com"  # the domain is case-insensitive
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - dt.timedelta(days=7)) < dt.timedelta(seconds=1)
    [mail] = mailoutbox
    assert mail.to == ["Chen.Jing@example.com"]
    assert company.legal_name in mail.subject and "邀请" in mail.subject  # its language only
    path = link_in(mail)
    # The stored row holds only a hash: the link's key appears nowhere in the database.
    key = path.rstrip("/").rsplit("/", 1)[1].split(":")[0]
    assert key not in invitation.key_hash and len(invitation.key_hash) == 64

    client.logout()
    form = client.get(path)
    assert form.status_code == 200 and "password1" in form.content.decode()
    bad = client.post(path, {"language": "en", "password1": "short", "password2": "short"})
    assert (
        bad.status_code == 200
        and not get_user_model().objects.filter(email__iexact="chen.jing@example.com").exists()
    )
    done = client.post(
        path,
        {
            "given_name": "静",
            "family_name": "陈",
            "language": "zh-hans",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert done.status_code == 302
    account = get_user_model().objects.get(email="Chen.Jing@example.com")
    assert account.check_password("a-long-pass-phrase")
    assert Membership.objects.get(user=account).role == "company_owner"
    assert Profile.objects.get(user=account).language == "zh-hans"
    home = client.get(reverse("home"))
    assert home.wsgi_request.user == account  # signed in by accepting
    assert "陈静" in home.content.decode()  # surname first, no space
    # Single use: the same link again says why it cannot be used.
    again = client.get(path)
    # (in Chinese: the new owner chose it, and every page after sign-in follows the choice)
    assert again.status_code == 410 and "已被使用" in again.content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"invite", "invitation_accept"} <= actions
    # The inviter hears that it was accepted.
    assert Notification.objects.filter(user=staff, kind="people").exists()


def test_an_existing_account_is_attached_without_asking_for_a_password(
    client, owner, company, mailoutbox, django_capture_on_commit_callbacks
):
    person = factories.user("already_here", first_name="Ada", last_name="Lovelace")
    invite(
        owner,
        company.organisation,
        person.email,
        "company_member",
        django_capture_on_commit_callbacks,
    )
    # An account holder also gets the invitation in the product.
    assert Notification.objects.filter(user=person, kind="invitation").count() == 1
    path = link_in(mailoutbox[0])
    page = client.get(path)
    assert "password1" not in page.content.decode()
    response = client.post(path, {"language": "en"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert Membership.objects.get(user=person).organisation == company.organisation
    assert person.__class__.objects.get(pk=person.pk).check_password(factories.PASSWORD)


def test_an_account_without_a_password_sets_one_on_accepting(
    client, owner, company, mailoutbox, django_capture_on_commit_callbacks
):
    person = get_user_model().objects.create_user("sso_only", email="sso@example.com")
    assert not person.has_usable_password()
    invite(
        owner,
        company.organisation,
        "sso@example.com",
        "company_member",
        django_capture_on_commit_callbacks,
    )
    path = link_in(mailoutbox[0])
    assert "password1" in client.get(path).content.decode()
    client.post(
        path,
        {"language": "en", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    person.refresh_from_db()
    assert person.check_password("a-long-pass-phrase")


def test_a_link_expires_after_seven_days_and_a_resend_replaces_it(
    client, owner, company, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False):
        invitation = invite(
            owner,
            company.organisation,
            "late@example.com",
            "company_member",
            django_capture_on_commit_callbacks,
        )
    first = link_in(mailoutbox[0])
    with time_machine.travel(dt.datetime(2026, 12, 8, 9, 1, tzinfo=dt.UTC), tick=False):
        page = client.get(first)
        assert page.status_code == 410 and "expired" in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            services.invitation_resend(actor=owner, invitation=invitation)
        second = link_in(mailoutbox[1])
        assert second != first
        # The old link is dead even though its signature is still young enough: it was replaced.
        assert client.get(first).status_code == 410
        assert client.get(second).status_code == 200
    invitation.refresh_from_db()
    assert invitation.times_sent == 2


def test_a_tampered_or_revoked_link_is_refused(
    client, owner, company, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = invite(
        owner,
        company.organisation,
        "x@example.com",
        "company_member",
        django_capture_on_commit_callbacks,
    )
    path = link_in(mailoutbox[0])
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert client.get(tampered).status_code == 410
    services.invitation_revoke(actor=owner, invitation=invitation)
    response = client.get(path)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_one_open_invitation_per_address_and_none_for_members(
    owner, member, company, django_capture_on_commit_callbacks
):
    invite(
        owner,
        company.organisation,
        "twice@example.com",
        "company_member",
        django_capture_on_commit_callbacks,
    )
    with pytest.raises(ApplicationError, match="already has an invitation"):
        services.invitation_create(
            actor=owner,
            organisation=company.organisation,
            email="TWICE@example.com",
            role="company_member",
        )
    with pytest.raises(ApplicationError, match="already a member"):
        services.invitation_create(
            actor=owner,
            organisation=company.organisation,
            email=member.email,
            role="company_member",
        )
    with pytest.raises(ApplicationError, match="cannot have members with the role"):
        services.invitation_create(
            actor=owner,
            organisation=company.organisation,
            email="c@example.com",
            role="coordinator",
        )
    with pytest.raises(ApplicationError, match="not an e-mail address"):
        services.invitation_create(
            actor=owner, organisation=company.organisation, email="nobody", role="company_member"
        )
    assert Invitation.objects.count() == 1


def test_staff_invite_university_coordinators(
    client, staff, university, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    url = reverse("accounts:invite", args=[university.organisation_id])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "li@whu.example.edu", "role": "coordinator", "language": "en"})
    assert Invitation.objects.get().role == "coordinator"
    client.logout()
    path = link_in(mailoutbox[0])
    client.post(
        path,
        {"language": "en", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    account = get_user_model().objects.get(email="li@whu.example.edu")
    assert Membership.objects.get(user=account).organisation == university.organisation


# Members -----------------------------------------------------------------------------------


def test_the_people_page_lists_members_invitations_and_last_login(
    client, owner, member, company, django_capture_on_commit_callbacks
):
    invite(
        owner,
        company.organisation,
        "pending@example.com",
        "company_member",
        django_capture_on_commit_callbacks,
    )
    client.force_login(owner)
    page = client.get(reverse("accounts:people", args=[company.organisation_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "pending@example.com" in text and "Resend" in text and "Revoke" in text
    assert member.email in text and "Last login" in text
    # A plain member sees the members, not the invitations, and has only "Leave".
    client.force_login(member)
    text = client.get(reverse("accounts:people", args=[company.organisation_id])).content.decode()
    assert member.email in text and "pending@example.com" not in text
    assert "Change role" not in text and "Leave" in text


def test_an_owner_re_roles_and_removes_a_member_whose_sessions_and_tokens_stop(
    client, owner, member, company
):
    _token, key = api_token_issue(user=member, name="ci")
    member_browser = client.__class__()
    member_browser.post(
        reverse("accounts:login"), {"username": "member", "password": factories.PASSWORD}
    )
    assert LoginSession.objects.filter(user=member).count() == 1
    assert member_browser.get(reverse("evaluation:job_list")).status_code == 200
    membership = Membership.objects.get(user=member)

    client.force_login(owner)
    client.post(reverse("accounts:member_role", args=[membership.pk]), {"role": "company_owner"})
    assert Membership.objects.get(pk=membership.pk).role == "company_owner"
    client.post(reverse("accounts:member_role", args=[membership.pk]), {"role": "company_member"})
    response = client.post(reverse("accounts:member_remove", args=[membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    # Their browser session is gone and their API token authenticates no one.
    after = member_browser.get(reverse("evaluation:job_list"))
    assert after.status_code == 302 and reverse("accounts:login") in after["Location"]
    api = client.__class__(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/jobs/").status_code == 401
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "change_role",
        "remove_member",
    }
    # The removal stays in the people page's history though the membership is gone.
    history = client.get(reverse("accounts:people", args=[company.organisation_id]))
    assert "remove_member" in history.content.decode()


def test_the_last_owner_can_be_neither_demoted_nor_removed_nor_leave(client, owner, company):
    membership = Membership.objects.get(user=owner)
    client.force_login(owner)
    response = client.post(
        reverse("accounts:member_role", args=[membership.pk]),
        {"role": "company_member"},
        follow=True,
    )
    assert "last owner" in response.content.decode()
    client.post(reverse("accounts:member_remove", args=[membership.pk]))
    assert Membership.objects.get(pk=membership.pk).role == "company_owner"
    staff = factories.center_staff("boss")
    with pytest.raises(ApplicationError, match="last owner"):
        services.membership_remove(actor=staff, membership=membership)


def test_a_member_can_leave(client, owner, member, company):
    membership = Membership.objects.get(user=member)
    client.force_login(member)
    response = client.post(reverse("accounts:member_remove", args=[membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="leave").exists()


def test_a_member_cannot_manage_people(client, owner, member, company):
    client.force_login(member)
    owner_row = Membership.objects.get(user=owner)
    assert client.get(reverse("accounts:invite", args=[company.organisation_id])).status_code == 403
    assert client.post(reverse("accounts:member_remove", args=[owner_row.pk])).status_code == 403
    assert (
        client.post(
            reverse("accounts:member_role", args=[owner_row.pk]), {"role": "company_member"}
        ).status_code
        == 403
    )
    assert Membership.objects.get(pk=owner_row.pk).role == "company_owner"


def test_an_owner_of_another_company_gets_404_on_every_people_url(
    client, owner, member, company, other_owner, django_capture_on_commit_callbacks
):
    invitation = invite(
        owner,
        company.organisation,
        "p@example.com",
        "company_member",
        django_capture_on_commit_callbacks,
    )
    membership = Membership.objects.get(user=member)
    client.force_login(other_owner)
    org = company.organisation_id
    gets = [
        reverse("accounts:people", args=[org]),
        reverse("accounts:invite", args=[org]),
    ]
    posts = [
        (
            reverse("accounts:invite", args=[org]),
            {"email": "x@example.com", "role": "company_member", "language": "en"},
        ),
        (reverse("accounts:invitation_resend", args=[invitation.pk]), {}),
        (reverse("accounts:invitation_revoke", args=[invitation.pk]), {}),
        (reverse("accounts:member_role", args=[membership.pk]), {"role": "company_owner"}),
        (reverse("accounts:member_remove", args=[membership.pk]), {}),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert Invitation.objects.count() == 1 and Invitation.objects.get().revoked_at is None
    assert Membership.objects.get(pk=membership.pk).role == "company_member"
    # Their organisation list shows only their own organisation.
    listing = client.get(reverse("accounts:organisation_list")).content.decode()
    assert company.legal_name not in listing


def test_staff_deactivate_a_person_whose_sessions_and_tokens_stop_at_once(client, staff, member):
    _token, key = api_token_issue(user=member, name="ci")
    browser = client.__class__()
    browser.post(reverse("accounts:login"), {"username": "member", "password": factories.PASSWORD})
    client.force_login(staff)
    listing = client.get(reverse("accounts:person_list"), {"q": "member"})
    assert member.email in listing.content.decode()
    client.post(reverse("accounts:person_deactivate", args=[member.pk]))
    member.refresh_from_db()
    assert not member.is_active
    assert ApiToken.objects.get(user=member).revoked_at is not None
    assert not LoginSession.objects.filter(user=member).exists()
    assert browser.get(reverse("evaluation:job_list")).status_code == 302
    assert (
        client.__class__(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/jobs/").status_code == 401
    )
    assert AuditEvent.objects.filter(action="deactivate").exists()
    client.post(reverse("accounts:person_reactivate", args=[member.pk]))
    member.refresh_from_db()
    assert member.is_active


def test_only_staff_reach_the_person_directory(client, owner):
    client.force_login(owner)
    assert client.get(reverse("accounts:person_list")).status_code == 403
    assert client.post(reverse("accounts:person_deactivate", args=[owner.pk])).status_code == 403


def test_admitting_a_company_without_owner_offers_the_invitation(client, staff):
    applicant = factories.company("Fresh Co", status="applied")
    client.force_login(staff)
    response = client.post(reverse("ecosystem:company_admit", args=[applicant.pk]))
    assert response["Location"] == reverse("accounts:invite", args=[applicant.organisation_id])
    page = client.get(reverse("ecosystem:company_detail", args=[applicant.pk]))
    assert "Invite the first owner" in page.content.decode()
