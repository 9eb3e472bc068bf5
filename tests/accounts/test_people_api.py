"""Members, invitations and notifications through /api/v1/, by the rules of the people pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from innovation_center.accounts import people as services
from innovation_center.accounts.models import (
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    NotificationKind,
)
from innovation_center.accounts.services import api_token_issue
from tests import factories

LINK = re.compile(r"https?://[^/\s]+(/accounts/invitations/accept/[^/\s]+/)")


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def api_with_token(user) -> APIClient:
    _token, key = api_token_issue(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def membership_of(user, company) -> Membership:
    return Membership.objects.get(user=user, organisation=company.organisation)


@pytest.fixture
def other_owner(other_company):
    return factories.member(other_company.organisation, Membership.Role.COMPANY_OWNER, "boss_b")


@pytest.fixture
def invitation(owner, company):
    return services.invitation_create(
        actor=owner,
        organisation=company.organisation,
        email="new.colleague@example.com",
        role=Membership.Role.COMPANY_MEMBER,
    )


# Scope -------------------------------------------------------------------------------------


def test_it_answers_404_to_another_company_s_owner_on_every_people_url(
    other_owner, member, company, invitation
):
    client = api_with_token(other_owner)
    membership = membership_of(member, company)
    calls = [
        ("get", reverse("api:member-detail", args=[membership.pk])),
        ("patch", reverse("api:member-detail", args=[membership.pk])),
        ("delete", reverse("api:member-detail", args=[membership.pk])),
        ("get", reverse("api:invitation-detail", args=[invitation.pk])),
        ("delete", reverse("api:invitation-detail", args=[invitation.pk])),
        ("post", reverse("api:invitation-resend", args=[invitation.pk])),
    ]
    for method, url in calls:
        response = getattr(client, method)(url, {"role": "company_owner"}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url
    listed = client.get(reverse("api:member-list"), {"organisation": company.organisation_id})
    assert listed.json()["count"] == 0
    assert client.get(reverse("api:invitation-list")).json()["count"] == 0
    membership.refresh_from_db()
    assert membership.role == Membership.Role.COMPANY_MEMBER
    assert Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).exists()


def test_another_company_s_owner_cannot_invite_into_the_company(other_owner, company):
    response = api_with_token(other_owner).post(
        reverse("api:invitation-list"),
        {
            "organisation": company.organisation_id,
            "email": "x@example.com",
            "role": "company_owner",
        },
        format="json",
    )
    assert response.status_code == 400
    # Like any row outside the scope: the organisation does not exist for them.
    assert list(response.json()) == ["organisation"]
    assert "does not exist" in response.json()["organisation"][0]
    assert not Invitation.objects.exists()


def test_a_plain_member_sees_the_members_but_no_invitations(member, owner, company, invitation):
    client = api(member)
    members = client.get(reverse("api:member-list")).json()["results"]
    assert {m["username"] for m in members} == {"owner", "member"}
    assert client.get(reverse("api:invitation-list")).json()["count"] == 0
    detail = client.get(reverse("api:invitation-detail", args=[invitation.pk]))
    assert detail.status_code == 404


def test_a_member_may_not_invite_even_where_they_own_another_company(
    member, company, other_company
):
    Membership.objects.create(
        user=member, organisation=other_company.organisation, role=Membership.Role.COMPANY_OWNER
    )
    response = api(member).post(
        reverse("api:invitation-list"),
        {
            "organisation": company.organisation_id,
            "email": "x@example.com",
            "role": "company_member",
        },
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Invitation.objects.exists()


# Invitations -------------------------------------------------------------------------------


def test_an_owner_invites_and_the_e_mail_carries_the_link(
    client, owner, company, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_with_token(owner).post(
            reverse("api:invitation-list"),
            {
                "organisation": company.organisation_id,
                "email": "Li.Na@Example.COM",
                "role": "company_member",
                "language": "en",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "Li.Na@example.com"
    assert (body["state"], body["times_sent"], body["invited_by_name"]) == ("pending", 1, "owner")
    assert body["organisation_name"] == company.organisation.name
    assert "key_hash" not in body and body["expires_at"] and body["sent_at"]
    [mail] = mailoutbox
    assert mail.to == ["Li.Na@example.com"]
    path = LINK.search(mail.body).group(1)
    assert client.get(path).status_code == 200  # the accept page opens


def test_an_invitation_is_resent_with_a_new_link_and_revoked(
    client, owner, invitation, mailoutbox, django_capture_on_commit_callbacks
):
    owner_api = api(owner)
    with django_capture_on_commit_callbacks(execute=True):
        resent = owner_api.post(reverse("api:invitation-resend", args=[invitation.pk]))
    assert resent.status_code == 200
    assert resent.json()["times_sent"] == 2
    [mail] = mailoutbox
    path = LINK.search(mail.body).group(1)

    revoked = owner_api.delete(reverse("api:invitation-detail", args=[invitation.pk]))
    assert revoked.status_code == 204
    shown = owner_api.get(reverse("api:invitation-detail", args=[invitation.pk])).json()
    assert shown["state"] == "revoked"
    assert client.get(path).status_code == 410  # the link no longer works
    again = owner_api.delete(reverse("api:invitation-detail", args=[invitation.pk]))
    assert (again.status_code, again.json()["code"]) == (400, "invitation_closed")


# Members -----------------------------------------------------------------------------------


def test_an_owner_changes_a_member_s_role(owner, member, company):
    membership = membership_of(member, company)
    response = api(owner).patch(
        reverse("api:member-detail", args=[membership.pk]), {"role": "company_owner"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "company_owner"
    membership.refresh_from_db()
    assert membership.role == Membership.Role.COMPANY_OWNER
    assert Notification.objects.filter(user=member, kind=NotificationKind.PEOPLE).exists()
    assert AuditEvent.objects.filter(action="change_role", object_id=str(membership.pk)).exists()


def test_a_role_that_does_not_fit_the_organisation_is_refused(owner, member, company):
    membership = membership_of(member, company)
    response = api(owner).patch(
        reverse("api:member-detail", args=[membership.pk]), {"role": "coordinator"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["role"]
    membership.refresh_from_db()
    assert membership.role == Membership.Role.COMPANY_MEMBER


def test_a_plain_member_may_not_change_roles_or_remove_others(owner, member, company):
    target = membership_of(owner, company)
    client = api(member)
    url = reverse("api:member-detail", args=[target.pk])
    assert client.patch(url, {"role": "company_member"}).status_code == 403
    assert client.delete(url).status_code == 403
    assert Membership.objects.filter(pk=target.pk, role=Membership.Role.COMPANY_OWNER).exists()


def test_the_last_owner_cannot_be_demoted(owner, member, company):
    membership = membership_of(owner, company)
    response = api(owner).patch(
        reverse("api:member-detail", args=[membership.pk]), {"role": "company_member"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "last_owner"
    assert "last owner" in body["detail"] and company.organisation.name in body["detail"]
    membership.refresh_from_db()
    assert membership.role == Membership.Role.COMPANY_OWNER
    assert not AuditEvent.objects.filter(action="change_role").exists()


def test_a_removed_member_s_token_stops_working(owner, member, company):
    member_api = api_with_token(member)
    assert member_api.get(reverse("api:member-list")).status_code == 200
    membership = membership_of(member, company)
    removed = api(owner).delete(reverse("api:member-detail", args=[membership.pk]))
    assert removed.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert member_api.get(reverse("api:member-list")).status_code == 401
    assert Notification.objects.filter(user=member, kind=NotificationKind.PEOPLE).exists()


def test_a_member_leaves(owner, member, company):
    membership = membership_of(member, company)
    response = api(member).delete(reverse("api:member-detail", args=[membership.pk]))
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="leave").exists()


def test_it_lists_members_in_a_fixed_number_of_queries(
    staff, owner, company, django_assert_max_num_queries
):
    for _n in range(4):
        factories.member(company.organisation, Membership.Role.COMPANY_MEMBER)
    with django_assert_max_num_queries(6):
        response = api(staff).get(
            reverse("api:member-list"), {"organisation": company.organisation_id}
        )
    assert response.json()["count"] == 5


# Notifications -----------------------------------------------------------------------------


def notify(user, subject: str) -> Notification:
    return Notification.objects.create(user=user, kind=NotificationKind.PEOPLE, subject=subject)


def test_notifications_are_each_person_s_own_even_for_staff(staff, owner):
    mine = notify(staff, "For staff")
    theirs = notify(owner, "For the owner")
    client = api(staff)
    listed = client.get(reverse("api:notification-list")).json()["results"]
    assert [n["id"] for n in listed] == [mine.pk]
    assert client.get(reverse("api:notification-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("api:notification-read", args=[theirs.pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_notifications_are_read_one_by_one_or_all_at_once(owner, member):
    first, second, third = (notify(owner, f"Message {n}") for n in range(3))
    untouched = notify(member, "Not the owner's")
    client = api(owner)
    read = client.post(reverse("api:notification-read", args=[first.pk]))
    assert read.status_code == 200 and read.json()["read"] is True
    unread = client.get(reverse("api:notification-list"), {"unread": "true"}).json()["results"]
    assert sorted(n["id"] for n in unread) == sorted([second.pk, third.pk])

    marked = client.post(reverse("api:notification-read-all"))
    assert marked.status_code == 200 and marked.json() == {"count": 2}
    assert client.get(reverse("api:notification-list"), {"unread": "true"}).json()["count"] == 0
    assert Notification.objects.get(pk=untouched.pk).read_at is None
