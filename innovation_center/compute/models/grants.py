"""Requests for compute, the allocations they grant, and the ledger of their hours."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from innovation_center.compute.models.network import AcceleratorType, Site
from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope

HOURS = {"max_digits": 16, "decimal_places": 6}


class AllocationRequest(TimeStampedModel):
    """A company's request for accelerator-hours, reviewed by staff."""

    class Kind(models.TextChoices):
        NEW = "new", _("New allocation")
        RENEWAL = "renewal", _("Renewal")
        ENLARGEMENT = "enlargement", _("Enlargement")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="allocation_requests",
        verbose_name=_("company"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NEW)
    # A renewal or enlargement changes an existing allocation.
    allocation = models.ForeignKey(
        "Allocation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="change_requests",
        verbose_name=_("allocation to change"),
    )
    accelerator_type = models.ForeignKey(
        AcceleratorType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accelerator type"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    hours = models.DecimalField(_("accelerator-hours"), max_digits=12, decimal_places=2)
    device_cap = models.PositiveIntegerField(_("concurrent-device cap"))
    starts_on = models.DateField(_("period start"))
    ends_on = models.DateField(_("period end"))
    purpose = models.TextField(_("purpose"))
    expected_outcome = models.TextField(_("expected outcome"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    granted_hours = models.DecimalField(
        _("hours granted"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    scope = Scope(company="company__organisation")

    class Meta:
        verbose_name = _("allocation request")
        verbose_name_plural = _("allocation requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0),
                name="allocationrequest_hours_positive",
                violation_error_message=_("Ask for more than zero accelerator-hours."),
            ),
            models.CheckConstraint(
                condition=Q(device_cap__gte=1),
                name="allocationrequest_cap_positive",
                violation_error_message=_("The device cap must be at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")),
                name="allocationrequest_period_valid",
                violation_error_message=_("The period must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(kind="new") | Q(allocation__isnull=False),
                name="allocationrequest_change_names_allocation",
                violation_error_message=_("A renewal or enlargement must name its allocation."),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_reason=""),
                name="allocationrequest_rejection_has_reason",
                violation_error_message=_("Give the reason for a rejection."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.hours} h ({self.get_status_display()})"


class Allocation(TimeStampedModel):
    """Accelerator-hours granted to a company for a period, under a concurrent-device cap."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ACTIVE = "active", _("Active")
        # No new work starts; running work finishes and is charged.
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="allocations",
        verbose_name=_("company"),
    )
    request = models.OneToOneField(
        AllocationRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="granted_allocation",
        verbose_name=_("request"),
    )
    accelerator_type = models.ForeignKey(
        AcceleratorType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("accelerator type"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("site"),
    )
    hours_granted = models.DecimalField(_("hours granted"), max_digits=12, decimal_places=2)
    device_cap = models.PositiveIntegerField(_("concurrent-device cap"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    expiry_warned_at = models.DateTimeField(_("expiry warning sent at"), null=True, blank=True)
    # The last burn-down milestone (percent of the period) the owners were warned at.
    burn_warned_percent = models.PositiveSmallIntegerField(
        _("burn-down warning sent at (percent of the period)"), default=0
    )
    # When the idle-allocation notice went out (the lending grace period counts from it).
    idle_noticed_at = models.DateTimeField(_("idle notice sent at"), null=True, blank=True)
    # A renewal is a new period of its own; it points back at the allocation it renews.
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("renews"),
    )

    scope = Scope(company="company__organisation")

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-starts_on", "company__legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_granted__gte=0), name="allocation_hours_non_negative"
            ),
            models.CheckConstraint(condition=Q(device_cap__gte=1), name="allocation_cap_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="allocation_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.hours_granted} h · {self.starts_on:%Y-%m-%d}"


class LedgerEntry(models.Model):
    """One movement of accelerator-hours; balances are sums of these rows, never counters.

    Each row moves hours between the allocation's *available* and *reserved* pools:
    credit (+available), reserve (available → reserved), charge (reserved spent),
    refund (unused reserve → available), expiry and revocation (−available: written off),
    adjustment (± available, by staff with a reason), lend (−available: idle hours lent back
    to the pool) and reclaim (+available: lent hours taken back by the owner).
    """

    class Kind(models.TextChoices):
        CREDIT = "credit", _("Credit")
        RESERVE = "reserve", _("Reserve")
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")
        EXPIRY = "expiry", _("Expiry")
        REVOCATION = "revocation", _("Revocation")
        ADJUSTMENT = "adjustment", _("Adjustment")
        LEND = "lend", _("Lent to the pool")
        RECLAIM = "reclaim", _("Reclaimed")

    allocation = models.ForeignKey(
        Allocation,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("allocation"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    available = models.DecimalField(_("available change (h)"), **HOURS)
    reserved = models.DecimalField(_("reserved change (h)"), **HOURS)
    # The work whose hours these are (reserve, charge, refund); none for grants and expiries.
    workload = models.ForeignKey(
        "compute.Workload",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("workload"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    scope = Scope(company="allocation__company__organisation")

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["created_at", "id"]
        constraints = [
            # The sign of each movement is fixed by its kind, in the database.
            models.CheckConstraint(
                condition=(Q(kind="credit") & Q(available__gt=0) & Q(reserved=0))
                | (Q(kind="reserve") & Q(available__lt=0) & Q(reserved=-F("available")))
                | (Q(kind="charge") & Q(available=0) & Q(reserved__lte=0))
                | (Q(kind="refund") & Q(available__gte=0) & Q(reserved=-F("available")))
                | (Q(kind__in=["expiry", "revocation"]) & Q(available__lte=0) & Q(reserved=0))
                | (Q(kind="adjustment") & ~Q(available=0) & Q(reserved=0))
                | (Q(kind="lend") & Q(available__lt=0) & Q(reserved=0))
                | (Q(kind="reclaim") & Q(available__gt=0) & Q(reserved=0)),
                name="ledgerentry_signs_match_kind",
            ),
            # Work is reserved, charged and refunded at most once: retries cannot repeat it.
            models.UniqueConstraint(
                fields=["workload", "kind"],
                condition=Q(workload__isnull=False),
                name="ledgerentry_once_per_workload_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.available:+} / {self.reserved:+}"


class CapacityPool(models.Model):
    """Devices of one accelerator type at one site, or of a type at any site: what grants are
    checked against. Its row is locked while a grant is decided, so two reviewers approving at
    once cannot together book more than the pool can deliver."""

    accelerator_type = models.ForeignKey(
        AcceleratorType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accelerator type"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    oversubscription = models.DecimalField(
        _("over-subscription factor"),
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_(
            "Hours the center may promise per device-hour in service: 1.00 books exactly the "
            "capacity, 1.20 books 20%% more because not every grant is used."
        ),
    )

    scope = Scope(catalogue=True)

    class Meta:
        verbose_name = _("capacity pool")
        verbose_name_plural = _("capacity pools")
        constraints = [
            models.UniqueConstraint(
                fields=["accelerator_type", "site"],
                nulls_distinct=False,
                name="capacitypool_one_per_type_and_site",
            ),
            models.CheckConstraint(
                condition=Q(oversubscription__gte=1) & Q(oversubscription__lte=5),
                name="capacitypool_oversubscription_range",
                violation_error_message=_("The over-subscription factor must be 1.00–5.00."),
            ),
        ]

    def __str__(self) -> str:
        type_name = self.accelerator_type.name if self.accelerator_type_id else _("any type")
        site_name = self.site.name if self.site_id else _("any site")
        return f"{type_name} · {site_name}"
