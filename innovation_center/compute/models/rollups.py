"""Utilization of closed months, stored once: a closed month never changes unless a lease or
an outage of it is edited, and then its rows are dropped and written again (compute/rollups.py).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from innovation_center.core.scoping import Scope


class UtilizationMonth(models.Model):
    """The marker of one rolled-up month: its rows are complete when this row exists."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    computed_at = models.DateTimeField(_("computed at"))

    # The center's figures; companies read their own share through the pages and the API.
    scope = Scope()

    class Meta:
        verbose_name = _("utilization month")
        verbose_name_plural = _("utilization months")
        ordering = ["year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="utilization_month_once")
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class DeviceMonthUsage(models.Model):
    """One device's seconds in a closed month. Site and type are kept as they were."""

    rollup = models.ForeignKey(
        UtilizationMonth, on_delete=models.CASCADE, related_name="devices", verbose_name=_("month")
    )
    accelerator_id = models.IntegerField(_("device"))
    site_id = models.IntegerField(_("site"))
    accelerator_type_id = models.IntegerField(_("accelerator type"))
    capacity_seconds = models.FloatField(_("device-seconds in the month"))
    out_of_service_seconds = models.FloatField(_("device-seconds out of service"))
    busy_seconds = models.FloatField(_("device-seconds busy"))

    scope = Scope()

    class Meta:
        verbose_name = _("device month")
        verbose_name_plural = _("device months")
        constraints = [
            models.UniqueConstraint(
                fields=["rollup", "accelerator_id"], name="device_month_usage_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rollup} · device {self.accelerator_id}"


class CompanyMonthUsage(models.Model):
    """One company's busy device-seconds in a closed month."""

    rollup = models.ForeignKey(
        UtilizationMonth,
        on_delete=models.CASCADE,
        related_name="companies",
        verbose_name=_("month"),
    )
    company_id = models.IntegerField(_("company"))
    busy_seconds = models.FloatField(_("device-seconds busy"))

    scope = Scope()

    class Meta:
        verbose_name = _("company month")
        verbose_name_plural = _("company months")
        constraints = [
            models.UniqueConstraint(
                fields=["rollup", "company_id"], name="company_month_usage_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rollup} · company {self.company_id}"
