"""The demo's two idle grants of the home pool, for the idle-allocation policy (demo.compute)."""

import datetime as dt
import functools
import random
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from innovation_center.accounts.models import Membership, NotificationKind
from innovation_center.compute import allocations
from innovation_center.compute.models import (
    AcceleratorType,
    Allocation,
    AllocationRequest,
    LedgerEntry,
    Site,
)
from innovation_center.core import clock
from innovation_center.demo import people
from innovation_center.demo.common import SEED, add_months, office_hours_at
from innovation_center.demo.data.compute import ALLOCATION_PURPOSES, NEW_REQUEST_SUFFIX
from innovation_center.demo.data.network import DEVICE_POOLS
from innovation_center.demo.grants import _allocation_status, _credits_create, _grant_hours

# The idle grants ----------------------------------------------------------------------------
#
# Two companies admitted after the others were granted hours of the home pool last month and
# have not run a job since: what the idle-allocation policy is for. The first one's notice
# went out longer ago than the grace period, so staff can lend its hours on its page at once;
# the second one is due its notice at the next run of the policy (beat's allocations sweep).
# Neither is a phase of the usage story, so the usage never runs on them.


def _idle_notice(allocation: Allocation):
    # The product's own notice: the demo grant has spent nothing, so all of it is unused.
    return functools.partial(allocations.idle_message, allocation, allocation.hours_granted)


def seed_idle_allocations(
    incubating, *, now: dt.datetime, reviewer, contacts: dict
) -> list[Allocation]:
    """The two idle grants (of the companies after those in the review queue), dated from
    the run that makes them; returns them, the one already noticed first."""
    today = clock.today(at=now)
    home = Site.objects.get(is_home=True)
    preset = next(preset for code, preset, *_rest in DEVICE_POOLS if code == home.code)
    accelerator_type = AcceleratorType.objects.get(preset=preset)
    grace, idle_days = settings.IDLE_GRACE_DAYS, settings.IDLE_DAYS
    plans = [
        # (company, cap, days since the start, months to the end, days since the notice)
        (incubating[47].company, 4, idle_days + grace + 21, 5, grace + 2),
        (incubating[48].company, 3, idle_days + 3, 4, None),
    ]
    found = []
    for company, cap, started_days_ago, months, noticed_days_ago in plans:
        rng = random.Random(f"{SEED}:{company.uscc}:idle")
        purpose = f"{rng.choice(ALLOCATION_PURPOSES)}{NEW_REQUEST_SUFFIX}"
        request = AllocationRequest.objects.filter(company=company, purpose=purpose).first()
        if request is not None:
            found.extend(Allocation.objects.filter(request=request))
            continue
        starts_on = today - dt.timedelta(days=started_days_ago)
        ends_on = add_months(today, months)
        hours = _grant_hours(rng, cap, starts_on, ends_on)
        request = AllocationRequest.objects.create(
            company=company,
            requested_by=contacts[company.pk],
            reviewed_by=reviewer,
            purpose=purpose,
            status=AllocationRequest.Status.APPROVED,
            accelerator_type=accelerator_type,
            site=home,
            hours=hours,
            granted_hours=hours,
            device_cap=cap,
            starts_on=starts_on,
            ends_on=ends_on,
            reviewed_at=office_hours_at(starts_on - dt.timedelta(days=rng.randint(2, 5)), rng),
        )
        allocation = Allocation.objects.create(
            company=company,
            request=request,
            accelerator_type=accelerator_type,
            site=home,
            hours_granted=hours,
            device_cap=cap,
            starts_on=starts_on,
            ends_on=ends_on,
            status=_allocation_status(starts_on, ends_on, today),
        )
        _credits_create(
            [
                LedgerEntry(
                    allocation=allocation,
                    kind=LedgerEntry.Kind.CREDIT,
                    available=hours,
                    reserved=Decimal("0"),
                    actor=reviewer,
                    memo=f"Grant for request #{request.pk}",
                )
            ]
        )
        if noticed_days_ago is not None:
            _idle_noticed(allocation, at=now - dt.timedelta(days=noticed_days_ago), now=now)
        found.append(allocation)
    return found


def _idle_noticed(allocation: Allocation, *, at: dt.datetime, now: dt.datetime) -> None:
    """The notice the policy sent at `at` (at the quarter hour of beat's sweep), unread."""
    at = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    Allocation.objects.filter(pk=allocation.pk).update(idle_noticed_at=at)
    owners = Membership.objects.filter(
        organisation=allocation.company.organisation, role=Membership.Role.COMPANY_OWNER
    ).select_related("user")
    url = reverse("compute:allocation_detail", args=[allocation.pk])
    people.notifications_create(
        [
            people.Message(
                owner.user,
                NotificationKind.ALLOCATION_CHANGE,
                _idle_notice(allocation),
                url,
                at,
                False,
            )
            for owner in owners
        ],
        now=now,
    )
