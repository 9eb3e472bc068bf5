"""The compute network: sites, device classes, devices and their outages."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope


class Site(TimeStampedModel):
    """A node of the national compute network (Wuhan, Shenzhen, Xi'an, ...)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    city = models.CharField(_("city"), max_length=60)
    is_home = models.BooleanField(_("home site"), default=False)
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)

    scope = Scope(catalogue=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["-is_home", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_home"], condition=Q(is_home=True), name="site_one_home"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AcceleratorType(TimeStampedModel):
    """A simulated device class; the figures drive the kernel's roofline simulator."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    vendor = models.CharField(_("vendor"), max_length=100)
    preset = models.CharField(
        _("simulator preset"),
        max_length=40,
        blank=True,
        help_text=_("Name of the kernel simulator preset these figures come from."),
    )
    peak_tflops = models.DecimalField(_("peak FP32 TFLOP/s"), max_digits=10, decimal_places=3)
    memory_gib = models.DecimalField(_("memory (GiB)"), max_digits=8, decimal_places=2)
    memory_bandwidth_gbps = models.DecimalField(
        _("memory bandwidth (GB/s)"), max_digits=10, decimal_places=2
    )
    interconnect_gbps = models.DecimalField(
        _("interconnect (GB/s)"), max_digits=10, decimal_places=2
    )
    launch_overhead_us = models.DecimalField(
        _("launch overhead (µs)"), max_digits=10, decimal_places=3, default=Decimal("5")
    )
    # Energy per job: the vendor's published board power of the class it imitates.
    board_power_w = models.DecimalField(
        _("board power (W)"), max_digits=8, decimal_places=1, default=Decimal("0")
    )
    power_source = models.CharField(
        _("source of the power figure"),
        max_length=200,
        blank=True,
        help_text=_("Where the board power comes from, e.g. the vendor's datasheet TDP."),
    )

    scope = Scope(catalogue=True)

    class Meta:
        verbose_name = _("accelerator type")
        verbose_name_plural = _("accelerator types")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(peak_tflops__gt=0)
                & Q(memory_gib__gt=0)
                & Q(memory_bandwidth_gbps__gt=0)
                & Q(interconnect_gbps__gt=0)
                & Q(launch_overhead_us__gte=0)
                & Q(board_power_w__gte=0),
                name="acceleratortype_positive_figures",
                violation_error_message=_("Peak, memory and bandwidths must be above zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Accelerator(TimeStampedModel):
    """One simulated device at a site."""

    class Health(models.TextChoices):
        HEALTHY = "healthy", _("Healthy")
        DRAINING = "draining", _("Draining")
        FAILED = "failed", _("Failed")

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="accelerators", verbose_name=_("site")
    )
    accelerator_type = models.ForeignKey(
        AcceleratorType,
        on_delete=models.PROTECT,
        related_name="accelerators",
        verbose_name=_("accelerator type"),
    )
    name = models.CharField(_("name"), max_length=60, unique=True)
    health = models.CharField(
        _("health"), max_length=10, choices=Health.choices, default=Health.HEALTHY, db_index=True
    )
    health_changed_at = models.DateTimeField(_("health changed at"), null=True, blank=True)
    health_note = models.CharField(_("health note"), max_length=200, blank=True)

    scope = Scope(catalogue=True)

    class Meta:
        verbose_name = _("accelerator")
        verbose_name_plural = _("accelerators")
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return self.name


class DeviceOutage(models.Model):
    """A period a device was out of service (draining or failed); utilization excludes it."""

    accelerator = models.ForeignKey(
        Accelerator, on_delete=models.CASCADE, related_name="outages", verbose_name=_("accelerator")
    )
    health = models.CharField(_("health"), max_length=10, choices=Accelerator.Health.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = Scope(catalogue=True)

    class Meta:
        verbose_name = _("device outage")
        verbose_name_plural = _("device outages")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["accelerator"],
                condition=Q(ended_at__isnull=True),
                name="outage_one_open_per_device",
            ),
            models.CheckConstraint(condition=~Q(health="healthy"), name="outage_is_not_healthy"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="outage_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.accelerator} {self.get_health_display()} {self.started_at:%Y-%m-%d %H:%M}"
