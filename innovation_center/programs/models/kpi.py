"""What incubated companies report twice a year, and the center's mentors."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope


class KpiReport(TimeStampedModel):
    """A company's half-yearly figures: what the national criteria are computed from."""

    class Half(models.IntegerChoices):
        FIRST = 1, _("First half (January–June)")
        SECOND = 2, _("Second half (July–December)")

    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="kpi_reports",
        verbose_name=_("company"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half-year"), choices=Half.choices)
    revenue = models.DecimalField(
        _("revenue in the half-year (CNY)"), max_digits=16, decimal_places=2, default=0
    )
    employees = models.PositiveIntegerField(_("employees"), default=0)
    patents_filed = models.PositiveIntegerField(_("patents filed"), default=0)
    patents_granted = models.PositiveIntegerField(_("patents granted"), default=0)
    copyrights_filed = models.PositiveIntegerField(_("software copyrights filed"), default=0)
    copyrights_granted = models.PositiveIntegerField(_("software copyrights granted"), default=0)
    high_tech_enterprise = models.BooleanField(_("high-tech enterprise"), default=False)
    products_launched = models.PositiveIntegerField(_("products launched"), default=0)
    acquired_or_listed = models.BooleanField(
        _("acquired, merged or listed on a stock market"), default=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )

    scope = Scope(company="company__organisation")

    class Meta:
        verbose_name = _("KPI report")
        verbose_name_plural = _("KPI reports")
        ordering = ["company__legal_name", "-year", "-half"]
        constraints = [
            models.UniqueConstraint(fields=["company", "year", "half"], name="kpi_once_per_half"),
            models.CheckConstraint(condition=Q(half__in=[1, 2]), name="kpi_half_valid"),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="kpi_revenue_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.year} H{self.half}"


class FundingRound(models.Model):
    """Funding a company raised in a reported half-year."""

    class Round(models.TextChoices):
        ANGEL = "angel", _("Angel")
        SEED = "seed", _("Seed")
        PRE_A = "pre_a", _("Pre-A")
        A = "a", _("Series A")
        B = "b", _("Series B")
        C = "c", _("Series C and later")
        GRANT = "grant", _("Government grant")
        OTHER = "other", _("Other")

    report = models.ForeignKey(
        KpiReport, on_delete=models.CASCADE, related_name="funding", verbose_name=_("KPI report")
    )
    round = models.CharField(_("round"), max_length=10, choices=Round.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    investors = models.CharField(_("investors"), max_length=500, blank=True)

    scope = Scope(company="report__company__organisation")

    class Meta:
        verbose_name = _("funding round")
        verbose_name_plural = _("funding rounds")
        ordering = ["report", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_round_display()} {self.amount}"


class Mentor(TimeStampedModel):
    """An entrepreneurship mentor of the center (the criteria count them per 10 firms)."""

    name = models.CharField(_("name"), max_length=120)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    expertise = models.CharField(_("expertise"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    companies = models.ManyToManyField(
        "ecosystem.Company",
        related_name="mentors",
        blank=True,
        verbose_name=_("mentored companies"),
    )

    # The center's records; companies see none of them through the API.
    scope = Scope()

    class Meta:
        verbose_name = _("mentor")
        verbose_name_plural = _("mentors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
