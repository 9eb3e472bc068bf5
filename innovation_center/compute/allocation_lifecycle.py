"""An allocation's lifecycle on its dates: start, expiry warning, expiry (compute.services)."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import NotificationKind
from innovation_center.accounts.notifications import notify_organisation
from innovation_center.accounts.services import audit_record
from innovation_center.compute import ledger
from innovation_center.compute.models import Allocation
from innovation_center.core import clock

EXPIRY_WARNING_DAYS = 7


def expiry_warning(allocation: Allocation) -> tuple[str, str]:
    """The warning that an allocation ends soon, in the active language."""
    return (
        _("Your allocation ends on %(date)s") % {"date": allocation.ends_on},
        _(
            "Allocation #%(id)s (%(hours)s accelerator-hours) ends on %(date)s. "
            "Request a renewal from the allocation's page if you need more time."
        )
        % {
            "id": allocation.pk,
            "hours": ledger.hours_text(allocation.hours_granted),
            "date": allocation.ends_on,
        },
    )


def _status_on(today: dt.date, starts_on: dt.date, ends_on: dt.date) -> str:
    if ends_on <= today:
        return Allocation.Status.EXPIRED
    if starts_on <= today:
        return Allocation.Status.ACTIVE
    return Allocation.Status.SCHEDULED


def allocations_advance(*, today: dt.date | None = None) -> dict[str, int]:
    """Start, warn and expire allocations on their dates (run by beat; safe to run twice).

    Each change is a conditional update on the old state, so two beats cannot both make it;
    an expiry writes off the hours left available in the ledger.
    """
    today = today or clock.today()
    counts = {"started": 0, "warned": 0, "expired": 0}
    counts["started"] = Allocation.objects.filter(
        status=Allocation.Status.SCHEDULED, starts_on__lte=today, ends_on__gt=today
    ).update(status=Allocation.Status.ACTIVE)
    for allocation in Allocation.objects.filter(
        status__in=[
            Allocation.Status.SCHEDULED,
            Allocation.Status.ACTIVE,
            Allocation.Status.SUSPENDED,
        ],
        ends_on__lte=today,
    ).select_related("company__organisation"):
        with transaction.atomic():
            moved = Allocation.objects.filter(pk=allocation.pk, status=allocation.status).update(
                status=Allocation.Status.EXPIRED
            )
            if moved:
                ledger.ledger_expire(allocation=allocation)
                audit_record(
                    actor=None,
                    instance=allocation,
                    action="expire",
                    before={"status": allocation.status},
                    after={"status": Allocation.Status.EXPIRED},
                    organisation=allocation.company.organisation,
                )
                counts["expired"] += 1
    horizon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    for allocation in Allocation.objects.filter(
        status=Allocation.Status.ACTIVE, ends_on__lte=horizon, expiry_warned_at__isnull=True
    ).select_related("company__organisation"):
        with transaction.atomic():
            if Allocation.objects.filter(pk=allocation.pk, expiry_warned_at__isnull=True).update(
                expiry_warned_at=clock.now()
            ):
                notify_organisation(
                    organisation=allocation.company.organisation,
                    kind=NotificationKind.ALLOCATION_EXPIRY,
                    url=reverse("compute:allocation_detail", args=[allocation.pk]),
                    compose=functools.partial(expiry_warning, allocation),
                )
                counts["warned"] += 1
    return counts
