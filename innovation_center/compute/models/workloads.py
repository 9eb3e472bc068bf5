"""What the scheduler places, and the leases that bind devices to it.

A `Workload` is job-agnostic: an allocation's request for some devices for an expected time,
with a priority, and its state as far as scheduling is concerned. The app whose work it is
(evaluation, today) owns its own record of the work and keeps it in step through the
services; compute never needs to know what the work is.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from innovation_center.compute.models.grants import HOURS, Allocation
from innovation_center.compute.models.network import Accelerator
from innovation_center.core.scoping import Scope


class Workload(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SCHEDULED = "scheduled", _("Scheduled")  # devices bound, not started yet
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="workloads", verbose_name=_("allocation")
    )
    # What it is, in a line, for device and lease pages (e.g. "Evaluation job #12").
    label = models.CharField(_("label"), max_length=200, blank=True)
    devices_requested = models.PositiveIntegerField(_("devices"))
    priority = models.SmallIntegerField(_("priority"), default=0)
    estimate_hours = models.DecimalField(_("estimated accelerator-hours"), **HOURS)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(_("submitted at"), db_index=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope = Scope(company="allocation__company__organisation")

    class Meta:
        verbose_name = _("workload")
        verbose_name_plural = _("workloads")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(devices_requested__gte=1), name="workload_devices_positive"
            ),
            models.CheckConstraint(
                condition=Q(estimate_hours__gte=0), name="workload_estimate_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["status", "-priority", "created_at"])]

    def __str__(self) -> str:
        return self.label or f"#{self.pk}"


class Lease(models.Model):
    """A device bound to one workload from start to end; utilization comes from these."""

    accelerator = models.ForeignKey(
        Accelerator, on_delete=models.PROTECT, related_name="leases", verbose_name=_("accelerator")
    )
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="leases", verbose_name=_("allocation")
    )
    # The work the device is bound to; none for usage recorded without it (the demo's history).
    workload = models.ForeignKey(
        Workload,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="leases",
        verbose_name=_("workload"),
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, db_index=True)

    scope = Scope(company="allocation__company__organisation")

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["-started_at"]
        constraints = [
            # A device is in at most one active lease: double-booking is impossible.
            models.UniqueConstraint(
                fields=["accelerator"],
                condition=Q(ended_at__isnull=True),
                name="lease_one_active_per_device",
                violation_error_message=_("This accelerator is already leased."),
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="lease_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.accelerator} · {self.started_at:%Y-%m-%d %H:%M}"
