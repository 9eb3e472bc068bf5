"""Compute: allocation requests and their review, allocation lifecycle, device health."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import Membership, NotificationKind
from innovation_center.accounts.notifications import notify_organisation
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.compute import capacity, ledger
from innovation_center.compute.allocation_lifecycle import (  # noqa: F401 (re-exported)
    EXPIRY_WARNING_DAYS,
    _status_on,
    allocations_advance,
    expiry_warning,
)
from innovation_center.compute.device_health import (  # noqa: F401 (re-exported)
    accelerator_set_health,
    lease_end,
)
from innovation_center.compute.models import AcceleratorType, Allocation, AllocationRequest, Site
from innovation_center.compute.request_bounds import (  # noqa: F401 (re-exported)
    DEVICE_CAP_MAX,
    PERIOD_EARLIEST,
    PERIOD_LATE_DAYS,
    PERIOD_LEAD_DAYS,
    PERIOD_MAX_DAYS,
    _check_cap,
    _check_deliverable,
    _check_device_cap,
    _check_period,
)
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

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


COMPANY_REQUEST_ROLES = {Membership.Role.COMPANY_OWNER}
