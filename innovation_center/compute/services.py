"""Compute: allocation requests and their review, allocation lifecycle, device health."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import Membership, NotificationKind
from innovation_center.accounts.notifications import notify_organisation
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.compute import capacity, ledger
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    DeviceOutage,
    Lease,
    Site,
)
from innovation_center.compute.scheduler import workload_release_failed_device
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

EXPIRY_WARNING_DAYS = 7
REQUEST_FIELDS = [
    "status",
    "hours",
    "device_cap",
    "starts_on",
    "ends_on",
    "reviewed_by_id",
    "decision_reason",
    "granted_hours",
]
ALLOCATION_FIELDS = ["status", "hours_granted", "device_cap", "starts_on", "ends_on"]


# The bounds of every period and cap asked or granted, the same for the pages and the API (the
# forms and serializers check only shape). Two years is the capacity view's horizon and what
# the day-by-day pool calendar is sized for; a grant decided late may start up to a year back.
PERIOD_EARLIEST = dt.date(2000, 1, 1)
PERIOD_MAX_DAYS = 731
PERIOD_LEAD_DAYS = 731
PERIOD_LATE_DAYS = 366
DEVICE_CAP_MAX = 100_000


def _check_period(starts_on: dt.date, ends_on: dt.date) -> None:
    """A period that ends after it starts, starts at most a year back (never before 2000) and
    two years ahead, and lasts at most two years."""
    if ends_on <= starts_on:
        raise ApplicationError(
            _("The period must end after it starts."),
            code="period_invalid",
            field_errors={"ends_on": [_("Choose an end date after the start date.")]},
        )
    today = clock.today()
    earliest = max(PERIOD_EARLIEST, today - dt.timedelta(days=PERIOD_LATE_DAYS))
    if starts_on < earliest:
        raise _period_refusal(
            _(
                "The period starts on %(start)s, too long ago: a period starts at most a year "
                "back, on %(earliest)s or later."
            )
            % {"start": starts_on.isoformat(), "earliest": earliest.isoformat()},
            code="period_too_early",
            field="starts_on",
            hint=_("Choose %(earliest)s or a later date.") % {"earliest": earliest.isoformat()},
        )
    latest = today + dt.timedelta(days=PERIOD_LEAD_DAYS)
    if starts_on > latest:
        raise _period_refusal(
            _(
                "The period starts on %(start)s, too far ahead: a period starts at most two "
                "years from today, on %(latest)s or earlier."
            )
            % {"start": starts_on.isoformat(), "latest": latest.isoformat()},
            code="period_too_late",
            field="starts_on",
            hint=_("Choose %(latest)s or an earlier date.") % {"latest": latest.isoformat()},
        )
    if (ends_on - starts_on).days > PERIOD_MAX_DAYS:
        last = starts_on + dt.timedelta(days=PERIOD_MAX_DAYS)
        raise _period_refusal(
            _(
                "The period lasts %(days)s days; a period lasts at most two years "
                "(%(most)s days): end it on %(last)s or earlier, and ask for a renewal later."
            )
            % {
                "days": (ends_on - starts_on).days,
                "most": PERIOD_MAX_DAYS,
                "last": last.isoformat(),
            },
            code="period_too_long",
            field="ends_on",
            hint=_("Choose %(last)s or an earlier date.") % {"last": last.isoformat()},
        )


def _period_refusal(message: str, *, code: str, field: str, hint: str) -> ApplicationError:
    return ApplicationError(message, code=code, field_errors={field: [hint]})


def _check_device_cap(device_cap: int) -> None:
    """A cap from 1 to DEVICE_CAP_MAX devices (the database column holds no more than 2³¹−1)."""
    if not 1 <= device_cap <= DEVICE_CAP_MAX:
        raise ApplicationError(
            _("The device cap is %(cap)s; it must be from 1 to %(most)s devices at once.")
            % {"cap": device_cap, "most": DEVICE_CAP_MAX},
            code="device_cap_invalid",
            field_errors={
                "device_cap": [
                    _("Enter a whole number from 1 to %(most)s.") % {"most": DEVICE_CAP_MAX}
                ]
            },
        )


def _check_deliverable(
    *, hours: Decimal, device_cap: int, starts_on: dt.date, ends_on: dt.date
) -> None:
    """Refuse what the devices cannot deliver: a period in the past, or more hours than the
    cap can run in the period (cap × 24 h × days)."""
    today = clock.today()
    if starts_on < today:
        raise ApplicationError(
            _("The period starts on %(start)s, in the past; start it today (%(today)s) or later.")
            % {"start": starts_on.isoformat(), "today": today.isoformat()},
            code="period_past",
            field_errors={"starts_on": [_("Choose today or a later date.")]},
        )
    _check_cap(hours=hours, device_cap=device_cap, starts_on=starts_on, ends_on=ends_on)


def _check_cap(*, hours: Decimal, device_cap: int, starts_on: dt.date, ends_on: dt.date) -> None:
    """No more hours than the cap can run in the period (cap × 24 h × days)."""
    _check_device_cap(device_cap)
    most = Decimal(device_cap) * Decimal(str(capacity.period_hours(starts_on, ends_on)))
    if hours > most:
        raise ApplicationError(
            _(
                "%(cap)s devices can deliver at most %(most)s accelerator-hours from %(start)s "
                "to %(end)s (%(cap)s × 24 h × %(days)s days); %(hours)s were asked. Ask "
                "for fewer hours, a higher cap or a longer period."
            )
            % {
                "cap": device_cap,
                "most": ledger.hours_figure(most),
                "start": starts_on.isoformat(),
                "end": ends_on.isoformat(),
                "days": (ends_on - starts_on).days,
                "hours": ledger.hours_figure(hours),
            },
            code="exceeds_cap",
            field_errors={"hours": [_("More than the cap can deliver in the period.")]},
        )


@transaction.atomic
def allocation_request_create(
    *,
    company,
    actor,
    hours: Decimal,
    device_cap: int,
    starts_on: dt.date,
    ends_on: dt.date,
    purpose: str,
    expected_outcome: str = "",
    accelerator_type: AcceleratorType | None = None,
    site: Site | None = None,
    kind: str = AllocationRequest.Kind.NEW,
    allocation: Allocation | None = None,
) -> AllocationRequest:
    """A company's request for hours, or a change (renewal/enlargement) of an allocation.

    Each carries its own period and is refused when the cap cannot deliver its hours in it.
    An enlargement adds hours up to its end (a later end extends the allocation); a renewal
    is a new period that starts when (or after) the allocation ends.
    """
    _check_period(starts_on, ends_on)
    if hours <= 0:
        raise ApplicationError(
            _("Ask for more than zero accelerator-hours."),
            field_errors={"hours": [_("Enter a positive number of hours.")]},
        )
    _check_device_cap(device_cap)
    if kind == AllocationRequest.Kind.NEW:
        allocation = None
        if accelerator_type is None and site is None:
            raise ApplicationError(
                _("Choose an accelerator type, a site, or both."),
                field_errors={"accelerator_type": [_("Choose an accelerator type or a site.")]},
            )
    else:
        if allocation is None or allocation.company_id != company.pk:
            raise ApplicationError(
                _("A renewal or enlargement must name one of your company's allocations."),
                field_errors={"allocation": [_("Choose one of your allocations.")]},
            )
        if allocation.status not in (
            Allocation.Status.SCHEDULED,
            Allocation.Status.ACTIVE,
            Allocation.Status.EXPIRED,
        ):
            raise ApplicationError(
                _("A revoked allocation cannot be changed."), code="allocation_revoked"
            )
        accelerator_type, site = allocation.accelerator_type, allocation.site
        if kind == AllocationRequest.Kind.RENEWAL and starts_on < allocation.ends_on:
            raise ApplicationError(
                _(
                    "A renewal is a new period after the allocation ends on %(end)s; start it "
                    "on %(end)s or later (to add hours within the period, ask for an "
                    "enlargement)."
                )
                % {"end": allocation.ends_on.isoformat()},
                code="renewal_overlaps",
                field_errors={"starts_on": [_("Start on or after the allocation's end.")]},
            )
        if kind == AllocationRequest.Kind.ENLARGEMENT and ends_on < allocation.ends_on:
            raise ApplicationError(
                _("An enlargement cannot shorten the allocation: end it on %(end)s or later.")
                % {"end": allocation.ends_on.isoformat()},
                code="enlargement_shortens",
                field_errors={"ends_on": [_("End on or after the allocation's end.")]},
            )
    _check_deliverable(hours=hours, device_cap=device_cap, starts_on=starts_on, ends_on=ends_on)
    request = AllocationRequest.objects.create(
        company=company,
        requested_by=actor,
        kind=kind,
        allocation=allocation,
        accelerator_type=accelerator_type,
        site=site,
        hours=hours,
        device_cap=device_cap,
        starts_on=starts_on,
        ends_on=ends_on,
        purpose=purpose,
        expected_outcome=expected_outcome,
    )
    audit_record(
        actor=actor,
        instance=request,
        action="request",
        after=model_snapshot(request, REQUEST_FIELDS),
        organisation=company.organisation,
    )
    return request


def _overcommit_note(pool, hours: Decimal, over: float, reason: str) -> dict:
    """What the history keeps of a grant beyond the devices' free hours."""
    if float(hours) <= pool.free_plain + 1e-6:
        return {}
    note = {
        "pool": pool.label,
        "free_hours": ledger.hours_figure(max(pool.free_plain, 0)),
        "oversubscription": f"{pool.factor:.2f}",
    }
    if over > 1e-6:
        note.update(overcommit_hours=ledger.hours_figure(over), overcommit_reason=reason)
    return note


def _claim_pending(request: AllocationRequest, status: str, actor, reason: str) -> None:
    # Conditional update: of two reviewers deciding at once, only the first wins.
    claimed = AllocationRequest.objects.filter(
        pk=request.pk, status=AllocationRequest.Status.PENDING
    ).update(status=status, reviewed_by=actor, reviewed_at=clock.now(), decision_reason=reason)
    if claimed != 1:
        raise ApplicationError(
            _("This request was already decided; reload the page to see the decision."),
            code="already_decided",
        )


@transaction.atomic
def allocation_request_approve(
    *,
    request: AllocationRequest,
    actor,
    hours: Decimal | None = None,
    device_cap: int | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    reason: str = "",
    overcommit_reason: str = "",
) -> Allocation:
    """Grant the request as asked or with changed figures; credit the hours to the ledger.

    The grant must fit the pool's free hours in its period, within the pool's
    over-subscription factor; beyond that only with `overcommit_reason`, which goes into the
    history. The pool rows are locked first, so two grants decided at once are checked one
    after the other.
    """
    before = model_snapshot(request, REQUEST_FIELDS)
    hours = Decimal(hours if hours is not None else request.hours)
    # `is None`, not `or`: a cap of 0 is refused, not taken as "as asked".
    device_cap = device_cap if device_cap is not None else request.device_cap
    starts_on = starts_on or request.starts_on
    ends_on = ends_on or request.ends_on
    _check_period(starts_on, ends_on)
    _check_device_cap(device_cap)
    if hours <= 0:
        raise ApplicationError(
            _("Grant more than zero hours, or reject the request."),
            field_errors={"hours": [_("Enter a positive number of hours.")]},
        )
    _check_cap(hours=hours, device_cap=device_cap, starts_on=starts_on, ends_on=ends_on)
    capacity.pools_lock(type_id=request.accelerator_type_id, site_id=request.site_id)
    pool = capacity.pool_totals(
        type_id=request.accelerator_type_id,
        site_id=request.site_id,
        starts_on=max(starts_on, clock.today()),
        ends_on=ends_on,
    )
    overcommit_reason = (overcommit_reason or "").strip()
    over = float(hours) - pool.free
    if over > 1e-6 and not overcommit_reason:
        raise ApplicationError(
            _(
                "%(pool)s has %(free)s h free from %(start)s to %(end)s: %(in_service)s h in "
                "service × over-subscription %(factor)s, minus %(committed)s h committed. "
                "Granting %(hours)s h over-commits it by %(over)s h. Grant at most %(free)s h, "
                "or give the reason for over-committing."
            )
            % {
                "pool": pool.label,
                "free": ledger.hours_figure(max(pool.free, 0)),
                "start": max(starts_on, clock.today()).isoformat(),
                "end": ends_on.isoformat(),
                "in_service": ledger.hours_figure(pool.in_service),
                "factor": f"{pool.factor:.2f}",
                "committed": ledger.hours_figure(pool.committed),
                "hours": ledger.hours_figure(hours),
                "over": ledger.hours_figure(over),
            },
            code="over_capacity",
            field_errors={
                "overcommit_reason": [_("Give the reason to grant more than the pool's limit.")]
            },
        )
    _claim_pending(request, AllocationRequest.Status.APPROVED, actor, reason)
    AllocationRequest.objects.filter(pk=request.pk).update(granted_hours=hours)
    changed = (hours, device_cap, starts_on, ends_on) != (
        request.hours,
        request.device_cap,
        request.starts_on,
        request.ends_on,
    )
    today = clock.today()
    if request.kind == AllocationRequest.Kind.NEW:
        allocation = Allocation.objects.create(
            company=request.company,
            request=request,
            accelerator_type=request.accelerator_type,
            site=request.site,
            hours_granted=hours,
            device_cap=device_cap,
            starts_on=starts_on,
            ends_on=ends_on,
            status=_status_on(today, starts_on, ends_on),
        )
        allocation_before = {}
    elif request.kind == AllocationRequest.Kind.RENEWAL:
        # A new period of its own, with its own credit; the old one ends on its date.
        previous = Allocation.objects.select_for_update().get(pk=request.allocation_id)
        allocation = Allocation.objects.create(
            company=request.company,
            request=request,
            previous=previous,
            accelerator_type=previous.accelerator_type,
            site=previous.site,
            hours_granted=hours,
            device_cap=device_cap,
            starts_on=max(starts_on, previous.ends_on),
            ends_on=ends_on,
            status=_status_on(today, max(starts_on, previous.ends_on), ends_on),
        )
        allocation_before = {}
    else:
        # An enlargement adds hours; a period ending later extends the allocation to it.
        allocation = Allocation.objects.select_for_update().get(pk=request.allocation_id)
        allocation_before = model_snapshot(allocation, ALLOCATION_FIELDS)
        allocation.hours_granted += hours
        allocation.device_cap = max(allocation.device_cap, device_cap)
        if ends_on > allocation.ends_on:
            allocation.ends_on = ends_on
            allocation.expiry_warned_at = None
        if allocation.status == Allocation.Status.EXPIRED:
            allocation.status = _status_on(today, allocation.starts_on, allocation.ends_on)
        allocation.save()
    ledger.ledger_credit(
        allocation=allocation,
        amount=hours,
        actor=actor,
        memo=_("Request #%(id)s approved") % {"id": request.pk},
    )
    request.refresh_from_db()
    audit_record(
        actor=actor,
        instance=request,
        action="approve",
        before=before,
        after={
            **model_snapshot(request, REQUEST_FIELDS),
            **_overcommit_note(pool, hours, over, overcommit_reason),
        },
        organisation=request.company.organisation,
    )
    audit_record(
        actor=actor,
        instance=allocation,
        action="grant" if not allocation_before else request.kind,
        before=allocation_before,
        after=model_snapshot(allocation, ALLOCATION_FIELDS),
        organisation=request.company.organisation,
    )

    def approval_message() -> tuple[str, str]:
        figures = _(
            "%(hours)s accelerator-hours, up to %(cap)s devices at once, %(start)s – %(end)s"
        ) % {
            "hours": ledger.hours_text(hours),
            "cap": device_cap,
            "start": starts_on.isoformat(),
            "end": ends_on.isoformat(),
        }
        body = (
            _("Your compute request #%(id)s was approved: %(figures)s.")
            % {"id": request.pk, "figures": figures}
            + ("\n" + _("The reviewer changed the figures you asked for.") if changed else "")
            + (
                ("\n" + _("Note from the reviewer: %(reason)s") % {"reason": reason})
                if reason
                else ""
            )
        )
        return _("Compute request #%(id)s approved") % {"id": request.pk}, body

    notify_organisation(
        organisation=request.company.organisation,
        kind=NotificationKind.REQUEST_DECISION,
        compose=approval_message,
        url=reverse("compute:allocation_detail", args=[allocation.pk]),
    )
    return allocation


@transaction.atomic
def allocation_request_reject(
    *, request: AllocationRequest, actor, reason: str
) -> AllocationRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Give the reason for the rejection; the company will read it."),
            field_errors={"reason": [_("This field is required.")]},
        )
    before = model_snapshot(request, REQUEST_FIELDS)
    _claim_pending(request, AllocationRequest.Status.REJECTED, actor, reason)
    request.refresh_from_db()
    audit_record(
        actor=actor,
        instance=request,
        action="reject",
        before=before,
        after=model_snapshot(request, REQUEST_FIELDS),
        organisation=request.company.organisation,
    )
    notify_organisation(
        organisation=request.company.organisation,
        kind=NotificationKind.REQUEST_DECISION,
        url=reverse("compute:request_detail", args=[request.pk]),
        compose=lambda: (
            _("Compute request #%(id)s rejected") % {"id": request.pk},
            _("Your compute request #%(id)s was rejected. Reason: %(reason)s")
            % {"id": request.pk, "reason": reason},
        ),
    )
    return request


@transaction.atomic
def allocation_request_withdraw(*, request: AllocationRequest, actor) -> AllocationRequest:
    updated = AllocationRequest.objects.filter(
        pk=request.pk, status=AllocationRequest.Status.PENDING
    ).update(status=AllocationRequest.Status.WITHDRAWN)
    if updated != 1:
        raise ApplicationError(_("Only a pending request can be withdrawn."), code="not_pending")
    request.refresh_from_db()
    audit_record(
        actor=actor, instance=request, action="withdraw", organisation=request.company.organisation
    )
    return request


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


@transaction.atomic
def accelerator_set_health(
    *, accelerator: Accelerator, health: str, actor, note: str = ""
) -> list[int]:
    """Mark a device healthy, draining or failed; returns ids of workloads sent back to the
    queue.

    Out-of-service time is recorded as a DeviceOutage (utilization excludes it). A failed
    device loses its active lease: work that had not started yet returns to the queue; a
    running job's shard on it fails and is retried on another device by the worker.
    """
    if health not in Accelerator.Health.values:
        raise ApplicationError(_("Unknown health state “%(state)s”.") % {"state": health})
    device = Accelerator.objects.select_for_update().get(pk=accelerator.pk)
    if device.health == health:
        return []
    now = clock.now()
    before = {"health": device.health}
    DeviceOutage.objects.filter(accelerator=device, ended_at__isnull=True).update(ended_at=now)
    if health != Accelerator.Health.HEALTHY:
        DeviceOutage.objects.create(
            accelerator=device, health=health, started_at=now, actor=actor, note=note
        )
    Accelerator.objects.filter(pk=device.pk).update(
        health=health, health_changed_at=now, health_note=note
    )
    audit_record(
        actor=actor,
        instance=device,
        action="health",
        before=before,
        after={"health": health, "note": note},
    )
    requeued: list[int] = []
    if health == Accelerator.Health.FAILED:
        requeued = workload_release_failed_device(accelerator=device, at=now)
    return requeued


def lease_end(*, lease_ids, at=None) -> int:
    return Lease.objects.filter(pk__in=list(lease_ids), ended_at__isnull=True).update(
        ended_at=at or clock.now()
    )


COMPANY_REQUEST_ROLES = {Membership.Role.COMPANY_OWNER}
