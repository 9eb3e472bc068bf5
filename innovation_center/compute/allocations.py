"""What staff do to a granted allocation: adjust, suspend, resume, revoke.

Each action needs a reason, writes its history row and e-mails the company; a change of hours
is a ledger row (adjustment, or the revocation's write-off), never an edited counter. A
suspended allocation starts no new work (the scheduler takes active allocations only);
running work finishes and is charged either way.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import Membership, NotificationKind
from innovation_center.accounts.notifications import notify_organisation
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.compute import capacity, forecast, ledger
from innovation_center.compute.models import Allocation, LedgerEntry
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

FIELDS = ["status", "hours_granted", "device_cap", "ends_on"]
LIVE = (Allocation.Status.SCHEDULED, Allocation.Status.ACTIVE, Allocation.Status.SUSPENDED)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Give the reason; it goes into the history and the e-mail to the company."),
            code="reason_required",
            field_errors={"reason": [_("This field is required.")]},
        )
    return reason


def _locked_live(allocation: Allocation) -> Allocation:
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.status not in LIVE:
        raise ApplicationError(
            _(
                "This allocation is %(status)s; only a scheduled, active or suspended one can be "
                "changed."
            )
            % {"status": allocation.get_status_display()},
            code="allocation_closed",
        )
    return allocation


def _status_by_date(allocation: Allocation, today: dt.date) -> str:
    if allocation.ends_on <= today:
        return Allocation.Status.EXPIRED
    if allocation.starts_on <= today:
        return Allocation.Status.ACTIVE
    return Allocation.Status.SCHEDULED


def _record(allocation: Allocation, *, actor, action: str, before: dict, reason: str, extra=None):
    audit_record(
        actor=actor,
        instance=allocation,
        action=action,
        before=before,
        after={**model_snapshot(allocation, FIELDS), "reason": reason, **(extra or {})},
        organisation=allocation.company.organisation,
    )
    labels = {
        "adjust": _("changed"),
        "suspend": _("suspended"),
        "resume": _("resumed"),
        "revoke": _("revoked"),
        "lend": _("lent to the pool the idle hours of"),
    }

    def compose() -> tuple[str, str]:
        names = {"id": allocation.pk, "what": labels[action], "reason": reason}
        return (
            _("Allocation #%(id)s %(what)s") % names,
            _("The center %(what)s your allocation #%(id)s. Reason: %(reason)s") % names,
        )

    notify_organisation(
        organisation=allocation.company.organisation,
        kind=NotificationKind.ALLOCATION_CHANGE,
        compose=compose,
        url=reverse("compute:allocation_detail", args=[allocation.pk]),
    )


@transaction.atomic
def allocation_adjust(
    *,
    allocation: Allocation,
    actor,
    reason: str,
    hours_delta: Decimal = Decimal("0"),
    ends_on: dt.date | None = None,
    device_cap: int | None = None,
) -> Allocation:
    """Correct the hours (up or down), the end date or the cap of a live allocation."""
    reason = _reason(reason)
    allocation = _locked_live(allocation)
    before = model_snapshot(allocation, FIELDS)
    today = clock.today()
    hours_delta = Decimal(hours_delta or 0)
    new_end = ends_on or allocation.ends_on
    new_cap = device_cap or allocation.device_cap
    if new_end <= max(allocation.starts_on, today):
        raise ApplicationError(
            _("The end must be after %(date)s; to stop the allocation now, revoke it.")
            % {"date": max(allocation.starts_on, today).isoformat()},
            code="period_invalid",
            field_errors={"ends_on": [_("Choose a later date.")]},
        )
    if new_cap < 1:
        raise ApplicationError(
            _("The device cap must be at least 1."),
            field_errors={"device_cap": [_("Enter at least 1.")]},
        )
    if not hours_delta and new_end == allocation.ends_on and new_cap == allocation.device_cap:
        raise ApplicationError(_("Nothing to change: give new hours, an end date or a cap."))
    extra = {}
    if hours_delta > 0:
        pool = capacity.pool_totals(
            type_id=allocation.accelerator_type_id,
            site_id=allocation.site_id,
            starts_on=max(allocation.starts_on, today),
            ends_on=new_end,
        )
        if float(hours_delta) > pool.free:
            # Staff give a reason for every adjustment; beyond the limit it is the over-commit's.
            extra = {"overcommit_hours": ledger.hours_figure(float(hours_delta) - pool.free)}
    if hours_delta:
        ledger.ledger_adjust(
            allocation=allocation,
            amount=hours_delta,
            actor=actor,
            memo=_("Adjusted: %(reason)s") % {"reason": reason},
        )
        allocation.hours_granted += hours_delta
    allocation.ends_on = new_end
    allocation.device_cap = new_cap
    if new_end != before["ends_on"]:
        allocation.expiry_warned_at = None
    allocation.save(update_fields=["hours_granted", "ends_on", "device_cap", "expiry_warned_at"])
    _record(allocation, actor=actor, action="adjust", before=before, reason=reason, extra=extra)
    return allocation


@transaction.atomic
def allocation_suspend(*, allocation: Allocation, actor, reason: str) -> Allocation:
    reason = _reason(reason)
    allocation = _locked_live(allocation)
    if allocation.status == Allocation.Status.SUSPENDED:
        raise ApplicationError(_("This allocation is already suspended."), code="suspended")
    before = model_snapshot(allocation, FIELDS)
    allocation.status = Allocation.Status.SUSPENDED
    allocation.save(update_fields=["status"])
    _record(allocation, actor=actor, action="suspend", before=before, reason=reason)
    return allocation


@transaction.atomic
def allocation_resume(*, allocation: Allocation, actor, reason: str) -> Allocation:
    reason = _reason(reason)
    allocation = _locked_live(allocation)
    if allocation.status != Allocation.Status.SUSPENDED:
        raise ApplicationError(_("Only a suspended allocation can be resumed."), code="live")
    before = model_snapshot(allocation, FIELDS)
    allocation.status = _status_by_date(allocation, clock.today())
    allocation.save(update_fields=["status"])
    if allocation.status == Allocation.Status.EXPIRED:
        ledger.ledger_expire(allocation=allocation, actor=actor)
    _record(allocation, actor=actor, action="resume", before=before, reason=reason)
    return allocation


@transaction.atomic
def allocation_revoke(*, allocation: Allocation, actor, reason: str) -> Allocation:
    """End the allocation now: what is left available is written off with a ledger row;
    running work finishes and is charged, and its unused reserve is written off too."""
    reason = _reason(reason)
    allocation = _locked_live(allocation)
    before = model_snapshot(allocation, FIELDS)
    allocation.status = Allocation.Status.REVOKED
    allocation.save(update_fields=["status"])
    ledger.ledger_write_off(
        allocation=allocation,
        kind=LedgerEntry.Kind.REVOCATION,
        actor=actor,
        memo=_("Revoked: %(reason)s") % {"reason": reason},
    )
    _record(allocation, actor=actor, action="revoke", before=before, reason=reason)
    return allocation


def lent_hours(allocation: Allocation) -> Decimal:
    """Hours lent to the pool and not taken back yet."""
    total = LedgerEntry.objects.filter(
        allocation=allocation, kind__in=[LedgerEntry.Kind.LEND, LedgerEntry.Kind.RECLAIM]
    ).aggregate(s=Sum("available"))["s"]
    return -ledger.exact_hours(total)


def lend_allowed_from(allocation: Allocation) -> dt.datetime | None:
    """When staff may lend the allocation's idle hours: a grace period after the notice."""
    if allocation.idle_noticed_at is None:
        return None
    return allocation.idle_noticed_at + dt.timedelta(days=settings.IDLE_GRACE_DAYS)


@transaction.atomic
def allocation_lend(*, allocation: Allocation, actor, reason: str) -> Decimal:
    """Lend the hours an idle allocation will not use back to the pool (a `lend` row, which
    lowers what the allocation commits). The owner takes them back on their next submit."""
    reason = _reason(reason)
    allocation = _locked_live(allocation)
    allowed = lend_allowed_from(allocation)
    if allowed is None or clock.now() < allowed:
        raise ApplicationError(
            _(
                "Idle hours can be lent only %(days)s days after the idle notice; this "
                "allocation got no notice yet, or its grace period runs until %(until)s."
            )
            % {
                "days": settings.IDLE_GRACE_DAYS,
                "until": clock.local(allowed).strftime("%Y-%m-%d %H:%M") if allowed else "—",
            },
            code="lend_too_early",
        )
    burn = forecast.burndown(allocation=allocation)
    available = ledger.exact_hours(
        LedgerEntry.objects.filter(allocation=allocation).aggregate(s=Sum("available"))["s"]
    )
    amount = min(ledger.hours(burn.projected_unused), available)
    if amount <= 0:
        raise ApplicationError(_("This allocation has no idle hours to lend."), code="nothing")
    before = model_snapshot(allocation, FIELDS)
    LedgerEntry.objects.create(
        allocation=allocation,
        kind=LedgerEntry.Kind.LEND,
        available=-amount,
        reserved=Decimal("0"),
        actor=actor,
        memo=(_("Lent to the pool: %(reason)s") % {"reason": reason})[:200],
    )
    _record(
        allocation,
        actor=actor,
        action="lend",
        before=before,
        reason=reason,
        extra={"lent_hours": ledger.hours_text(amount)},
    )
    return amount


@transaction.atomic
def allocation_reclaim(*, allocation: Allocation, actor) -> Decimal:
    """Take back every lent hour (the owner's next submit does this); 0 when none is lent."""
    Allocation.objects.select_for_update().get(pk=allocation.pk)
    amount = lent_hours(allocation)
    if amount <= 0:
        return Decimal("0")
    LedgerEntry.objects.create(
        allocation=allocation,
        kind=LedgerEntry.Kind.RECLAIM,
        available=amount,
        reserved=Decimal("0"),
        actor=actor,
        memo=_("Lent hours taken back"),
    )
    Allocation.objects.filter(pk=allocation.pk).update(idle_noticed_at=None)
    audit_record(
        actor=actor,
        instance=allocation,
        action="reclaim",
        after={"reclaimed_hours": ledger.hours_text(amount)},
        organisation=allocation.company.organisation,
    )
    return amount


def _owners_hear(allocation: Allocation, compose) -> None:
    notify_organisation(
        organisation=allocation.company.organisation,
        kind=NotificationKind.ALLOCATION_CHANGE,
        roles={Membership.Role.COMPANY_OWNER},
        compose=compose,
        url=reverse("compute:allocation_detail", args=[allocation.pk]),
    )


def allocations_watch(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Burn-down warnings at 50/80/100% of the period, and idle notices when the policy is on
    (run by beat with the sweep; each warning is sent once per milestone)."""
    now = now or clock.now()
    today = clock.local(now).date()
    counts = {"burn": 0, "idle": 0}
    active = Allocation.objects.filter(status=Allocation.Status.ACTIVE).select_related(
        "company__organisation"
    )
    for allocation in active:
        burn = forecast.burndown(allocation=allocation, today=today)
        due = forecast.warning_due(burn)
        percent = int(round((due or 0) * 100))
        if due and percent > allocation.burn_warned_percent:
            with transaction.atomic():
                if Allocation.objects.filter(
                    pk=allocation.pk, burn_warned_percent__lt=percent
                ).update(burn_warned_percent=percent):
                    _owners_hear(allocation, functools.partial(_burn_message, allocation, burn))
                    counts["burn"] += 1
        if (
            settings.IDLE_POLICY
            and allocation.idle_noticed_at is None
            and _idle(allocation, burn, now)
        ):
            with transaction.atomic():
                if Allocation.objects.filter(pk=allocation.pk, idle_noticed_at__isnull=True).update(
                    idle_noticed_at=now
                ):
                    _owners_hear(
                        allocation,
                        functools.partial(idle_message, allocation, burn.projected_unused),
                    )
                    counts["idle"] += 1
    return counts


def _idle(allocation: Allocation, burn, now: dt.datetime) -> bool:
    if (
        not burn.granted
        or burn.projected_unused * 100 <= settings.IDLE_UNUSED_PERCENT * burn.granted
    ):
        return False
    since = now - dt.timedelta(days=settings.IDLE_DAYS)
    return not allocation.workloads.filter(created_at__gte=since).exists()


def _burn_message(allocation: Allocation, burn) -> tuple[str, str]:
    names = {
        "id": allocation.pk,
        "elapsed": round(burn.elapsed_share * 100),
        "spent": round(burn.spent_share * 100),
        "unused": ledger.hours_figure(burn.projected_unused),
    }
    return (
        _("Allocation #%(id)s: %(elapsed)s%% of the period, %(spent)s%% of the hours") % names,
        _(
            "%(elapsed)s%% of allocation #%(id)s's period has passed and %(spent)s%% of its "
            "hours are spent. At the recent rate it will leave %(unused)s h unused."
        )
        % names,
    )


def idle_message(allocation: Allocation, unused_hours) -> tuple[str, str]:
    """The idle notice, in the active language."""
    names = {
        "id": allocation.pk,
        "days": settings.IDLE_DAYS,
        "unused": ledger.hours_figure(unused_hours),
        "grace": settings.IDLE_GRACE_DAYS,
    }
    return (
        _("Allocation #%(id)s is idle") % names,
        _(
            "Allocation #%(id)s ran no job for %(days)s days and will leave %(unused)s h unused. "
            "In %(grace)s days the center may lend its idle hours to others; your next job "
            "takes them back."
        )
        % names,
    )
