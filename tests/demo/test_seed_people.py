"""The demo's people: each company's 2–5 people and its pending invitation, the demo logins'
profiles and the notifications they find after signing in."""

import datetime as dt
from collections import Counter

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.test import override_settings
from django.utils import translation

from innovation_center.accounts.models import (
    Invitation,
    Membership,
    Notification,
    NotificationKind,
    Organisation,
    Profile,
)
from innovation_center.accounts.names import display_name
from innovation_center.compute.models import Allocation
from innovation_center.core import clock
from innovation_center.demo.data.people import DEMO_PASSWORD, DEMO_USERS
from innovation_center.ecosystem.models import Company

pytestmark = pytest.mark.django_db
DEMO_LOGINS = [username for username, *_rest in DEMO_USERS]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo center, seeded once for the module's tests, which only read it; rolled back
    after the module (see tests/reports/test_dashboard.py)."""
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
            call_command("seed_demo", "--quiet")
        yield
        transaction.set_rollback(True)


def pending_invitations(now):
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    )


def written(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_it_gives_every_company_two_to_five_named_people_and_an_owner(seeded):
    companies = Organisation.objects.filter(
        kind=Organisation.Kind.COMPANY, company__is_center_account=False
    ).annotate(
        people=Count("memberships"),
        owners=Count("memberships", filter=Q(memberships__role=Membership.Role.COMPANY_OWNER)),
    )
    assert companies.count() == Company.objects.partners().count()
    for organisation in companies:
        assert 2 <= organisation.people <= 5, organisation.name
        assert organisation.owners >= 1, organisation.name
    roles = Counter(
        Membership.objects.filter(organisation__kind=Organisation.Kind.COMPANY).values_list(
            "role", flat=True
        )
    )
    assert roles[Membership.Role.COMPANY_MEMBER] > 0
    assert roles[Membership.Role.COMPANY_OWNER] > companies.count()  # some have two owners
    sizes = {organisation.people for organisation in companies}
    assert sizes == {2, 3, 4, 5}
    people = get_user_model().objects.filter(
        memberships__organisation__kind=Organisation.Kind.COMPANY
    )
    for person in people:
        assert person.first_name and person.last_name, person.username
        # Chinese names: family name first, no space (陈晓峰).
        assert display_name(person) == f"{person.last_name}{person.first_name}"
        assert "@" in person.email


def test_it_gives_everyone_their_own_address_and_the_demo_password(seeded):
    emails = [email.lower() for email in get_user_model().objects.values_list("email", flat=True)]
    assert len(emails) == len(set(emails))
    colleague = get_user_model().objects.filter(username__contains="@").first()
    assert colleague.username == colleague.email
    assert authenticate(username=colleague.username, password=DEMO_PASSWORD) == colleague


def test_it_leaves_exactly_one_pending_invitation_per_company_sent_by_an_owner(seeded):
    now = clock.now()
    pending = pending_invitations(now).select_related("organisation")
    per_organisation = Counter(invitation.organisation_id for invitation in pending)
    companies = set(
        Organisation.objects.filter(
            kind=Organisation.Kind.COMPANY, company__is_center_account=False
        ).values_list("pk", flat=True)
    )
    assert set(per_organisation) == companies
    assert set(per_organisation.values()) == {1}
    owners = set(
        Membership.objects.filter(role=Membership.Role.COMPANY_OWNER).values_list(
            "organisation_id", "user_id"
        )
    )
    member_emails = set(Membership.objects.values_list("organisation_id", "user__email"))
    lifetime = dt.timedelta(days=settings.INVITATION_DAYS)
    for invitation in pending:
        assert (invitation.organisation_id, invitation.invited_by_id) in owners
        assert invitation.expires_at - invitation.created_at == lifetime
        assert invitation.created_at <= now
        assert invitation.state(now) == "pending"
        assert (invitation.organisation_id, invitation.email) not in member_emails
        assert len(invitation.key_hash) == 64 and int(invitation.key_hash, 16) >= 0
    assert len({invitation.key_hash for invitation in pending}) == len(pending)


def test_it_leaves_each_demo_login_an_unread_notification_that_leads_to_a_real_page(seeded, client):
    for username in DEMO_LOGINS:
        user = get_user_model().objects.get(username=username)
        notifications = Notification.objects.filter(user=user)
        assert notifications.filter(read_at__isnull=True).exists(), username
        assert notifications.filter(read_at__isnull=False).exists() or username == "coordinator"
        client.force_login(user)
        for notification in notifications:
            assert notification.created_at <= clock.now()
            assert notification.subject and notification.url, username
            response = client.get(notification.url)
            assert response.status_code == 200, (username, notification.url)


def test_it_tells_the_company_people_about_their_grants(seeded):
    owner = get_user_model().objects.get(username="owner")
    company = Membership.objects.get(user=owner).organisation.company
    kinds = set(Notification.objects.filter(user=owner).values_list("kind", flat=True))
    assert {
        NotificationKind.REQUEST_DECISION,
        NotificationKind.ALLOCATION_EXPIRY,
        NotificationKind.PEOPLE,
        NotificationKind.JOB_FINISHED,
    } <= kinds
    active = Allocation.objects.filter(company=company, status=Allocation.Status.ACTIVE).latest(
        "starts_on"
    )
    decision = Notification.objects.get(
        user__username="member",
        kind=NotificationKind.REQUEST_DECISION,
        url=f"/compute/allocations/{active.pk}/",
    )
    assert decision.read_at is None
    assert decision.created_at == active.request.reviewed_at


def test_it_writes_to_each_demo_login_in_their_language(seeded):
    assert Profile.objects.get(user__username="owner").language == "zh-hans"
    assert set(
        Profile.objects.filter(user__username__in=DEMO_LOGINS).values_list("language", flat=True)
    ) == {"", "zh-hans"}
    for username, language in [("owner", "zh-hans"), ("member", settings.LANGUAGE_CODE)]:
        decision = Notification.objects.filter(
            user__username=username, kind=NotificationKind.REQUEST_DECISION
        ).first()
        request_id = decision.subject.split("#")[1].split()[0]
        with translation.override(language):
            expected = translation.gettext("Compute request #%(id)s approved") % {"id": request_id}
        assert decision.subject == expected
