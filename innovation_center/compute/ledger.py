"""Every movement of accelerator-hours is a ledger row; balances are sums of rows.

Guarantees:
- an allocation's available balance never goes below zero: a reservation locks the
  allocation row (`SELECT ... FOR UPDATE`) and re-sums its rows before inserting, so
  reservations admitted at the same instant are serialised;
- a workload is reserved, charged and refunded at most once: settling it twice returns the
  first settlement (and the database refuses a second row of a kind for a workload).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from innovation_center.compute.models import Allocation, LedgerEntry
from innovation_center.core.errors import ApplicationError

QUANTUM = Decimal("0.000001")
ZERO = Decimal("0")


def hours(value) -> Decimal:
    """Hours as a Decimal with the ledger's six decimal places."""
    return Decimal(str(value)).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def hours_from_seconds(seconds) -> Decimal:
    # Round device time up to the ledger's quantum: a charge is never zero for real work.
    return (Decimal(str(seconds)) / Decimal(3600)).quantize(QUANTUM, rounding=ROUND_CEILING)


def hours_text(value) -> str:
    """Hours for a message: no exponent, no trailing zeros ("300", "0.25")."""
    text = format(Decimal(value).normalize(), "f")
    return text


def hours_figure(value) -> str:
    """Hours to 2 decimals with the active language's separators, whole numbers without
    decimals ("1,344", "12.5"): for sums of the capacity calendar in messages."""
    amount = Decimal(str(round(float(value), 2))).quantize(Decimal("0.01"))
    places = 0 if amount == amount.to_integral_value() else 2
    text = number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return text.rstrip("0").rstrip(".") if places else text


def exact_hours(value) -> Decimal:
    """A summed amount at the ledger's quantum (SQLite sums decimals as floats)."""
    return (Decimal(str(value)) if value is not None else ZERO).quantize(QUANTUM) + ZERO


def _available(allocation_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(allocation_id=allocation_id).aggregate(s=Sum("available"))
    return exact_hours(total["s"])


def _lock(allocation_id: int) -> Allocation:
    return Allocation.objects.select_for_update().get(pk=allocation_id)


@transaction.atomic
def ledger_credit(*, allocation: Allocation, amount, actor=None, memo: str = "") -> LedgerEntry:
    amount = hours(amount)
    if amount <= 0:
        raise ApplicationError(
            _("A credit must be more than zero hours."), code="credit_not_positive"
        )
    _lock(allocation.pk)
    return LedgerEntry.objects.create(
        allocation=allocation,
        kind=LedgerEntry.Kind.CREDIT,
        available=amount,
        reserved=ZERO,
        actor=actor,
        memo=memo,
    )


@transaction.atomic
def ledger_reserve(*, allocation: Allocation, workload, amount, actor=None) -> LedgerEntry:
    """Hold `amount` hours of the allocation for `workload`; refuse when the balance is short."""
    amount = hours(amount)
    if amount <= 0:
        raise ApplicationError(
            _("A reservation must be more than zero hours."), code="reserve_not_positive"
        )
    _lock(allocation.pk)
    available = _available(allocation.pk)
    if amount > available:
        raise ApplicationError(
            _(
                "This job needs an estimated %(need)s accelerator-hours but the allocation has "
                "%(have)s left. Use fewer samples or devices, or request more hours."
            )
            % {"need": hours_text(amount), "have": hours_text(available)},
            code="insufficient_balance",
        )
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                allocation=allocation,
                workload=workload,
                kind=LedgerEntry.Kind.RESERVE,
                available=-amount,
                reserved=amount,
                actor=actor,
            )
    except IntegrityError:
        raise ApplicationError(
            _("Hours are already reserved for this job."), code="already_reserved"
        ) from None


@dataclass(frozen=True)
class Settlement:
    charged: Decimal
    refunded: Decimal
    repeated: bool


@transaction.atomic
def ledger_settle(*, workload, used) -> Settlement:
    """Charge what the workload used (at most its reserve) and refund the rest, exactly once.

    A retry after the first settlement changes nothing and reports the first figures.
    """
    # Lock the reserve row first, then read the other rows in a new statement: a concurrent
    # settlement that committed while we waited for the lock is then visible to us.
    reserve = (
        LedgerEntry.objects.select_for_update()
        .filter(workload=workload, kind=LedgerEntry.Kind.RESERVE)
        .first()
    )
    if reserve is None:
        raise ApplicationError(_("This job has no reserved hours to settle."), code="not_reserved")
    rows = {
        row.kind: row
        for row in LedgerEntry.objects.filter(
            workload=workload, kind__in=[LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.REFUND]
        )
    }
    if LedgerEntry.Kind.CHARGE in rows:
        charged = -rows[LedgerEntry.Kind.CHARGE].reserved
        refund_row = rows.get(LedgerEntry.Kind.REFUND)
        return Settlement(charged, refund_row.available if refund_row else ZERO, repeated=True)
    held = reserve.reserved
    charged = min(hours(used), held)
    refunded = held - charged
    LedgerEntry.objects.create(
        allocation_id=reserve.allocation_id,
        workload=workload,
        kind=LedgerEntry.Kind.CHARGE,
        available=ZERO,
        reserved=-charged,
        memo=str(workload)[:200],
    )
    if refunded > 0:
        LedgerEntry.objects.create(
            allocation_id=reserve.allocation_id,
            workload=workload,
            kind=LedgerEntry.Kind.REFUND,
            available=refunded,
            reserved=-refunded,
            memo=(_("Unused reserve of %(work)s") % {"work": workload})[:200],
        )
        _written_off_after_end(reserve.allocation_id, refunded, workload)
    return Settlement(charged, refunded, repeated=False)


@transaction.atomic
def ledger_expire(*, allocation: Allocation, actor=None) -> LedgerEntry | None:
    """Write off what is left available at the end of the period (reserves stay to settle)."""
    return ledger_write_off(
        allocation=allocation, kind=LedgerEntry.Kind.EXPIRY, actor=actor, memo=_("Period ended")
    )


@transaction.atomic
def ledger_write_off(*, allocation: Allocation, kind: str, actor=None, memo: str = ""):
    """Write off everything available (expiry or revocation); reserves stay to be settled."""
    _lock(allocation.pk)
    available = _available(allocation.pk)
    if available <= 0:
        return None
    return LedgerEntry.objects.create(
        allocation=allocation,
        kind=kind,
        available=-available,
        reserved=ZERO,
        actor=actor,
        memo=memo[:200],
    )


@transaction.atomic
def ledger_adjust(*, allocation: Allocation, amount, actor, memo: str) -> LedgerEntry:
    """Staff change the hours up or down; down never below what is left available."""
    amount = hours(amount)
    _lock(allocation.pk)
    available = _available(allocation.pk)
    if amount == 0:
        raise ApplicationError(_("Change the hours by more than zero."), code="adjust_zero")
    if -amount > available:
        raise ApplicationError(
            _(
                "Only %(have)s h are left available (the rest is spent or reserved by running "
                "jobs); lower the hours by at most that."
            )
            % {"have": hours_text(available)},
            code="adjust_below_balance",
            field_errors={"hours_delta": [_("Lower by at most the available hours.")]},
        )
    return LedgerEntry.objects.create(
        allocation=allocation,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        available=amount,
        reserved=ZERO,
        actor=actor,
        memo=memo[:200],
    )


def _written_off_after_end(allocation_id: int, refunded: Decimal, workload) -> None:
    """A refund that lands after the allocation ended or was revoked goes to the write-off:
    nothing becomes spendable again on a dead allocation."""
    status = Allocation.objects.filter(pk=allocation_id).values_list("status", flat=True).first()
    if status not in (Allocation.Status.EXPIRED, Allocation.Status.REVOKED):
        return
    LedgerEntry.objects.create(
        allocation_id=allocation_id,
        kind=LedgerEntry.Kind.EXPIRY
        if status == Allocation.Status.EXPIRED
        else LedgerEntry.Kind.REVOCATION,
        available=-refunded,
        reserved=ZERO,
        memo=(_("Refund of %(work)s after the end, written off") % {"work": workload})[:200],
    )
