"""A later seed_demo run replaces the invitations that expired meanwhile, then writes nothing.

In a module of its own: the demo seeded once for tests/demo/test_seed_people.py (at the real
clock, in a transaction the module's tests share) must not be in this test's database, or its
invitations, sent on the real date, decide what is pending on the frozen one.
"""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from innovation_center.accounts.models import Invitation, Notification
from innovation_center.ecosystem.models import Company

pytestmark = pytest.mark.django_db


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


def test_it_replaces_an_expired_invitation_on_a_later_day_and_then_writes_nothing():
    seeded_at = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(seeded_at, tick=False):
        call_command("seed_demo", "--quiet")
    first = set(pending_invitations(seeded_at).values_list("pk", flat=True))
    notifications = Notification.objects.count()

    later = seeded_at + dt.timedelta(days=settings.INVITATION_DAYS + 3)
    with time_machine.travel(later, tick=False):
        call_command("seed_demo", "--quiet")
        pending = pending_invitations(later)
        per_organisation = Counter(pending.values_list("organisation_id", flat=True))
        assert len(per_organisation) == Company.objects.partners().count()
        assert set(per_organisation.values()) == {1}
        assert not first & set(pending.values_list("pk", flat=True))
        # The expired ones were closed, as inviting the same address again closes them.
        assert Invitation.objects.filter(pk__in=first, revoked_at=later).count() == len(first)
        assert Notification.objects.count() >= notifications

        with CaptureQueriesContext(connection) as queries:
            call_command("seed_demo", "--quiet")
        assert written(queries) == []
