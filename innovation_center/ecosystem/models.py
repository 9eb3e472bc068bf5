from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope
from innovation_center.core.uscc import normalise, validate_uscc

models.CharField.register_lookup(Length)


class Industry(models.TextChoices):
    """Industry verticals of the center's solutions and companies."""

    SMART_MANUFACTURING = "smart_manufacturing", _("Smart manufacturing")
    SMART_CITY = "smart_city", _("Smart city")
    SMART_TRANSPORT = "smart_transport", _("Smart transport")
    SMART_INSPECTION = "smart_inspection", _("Smart inspection")
    REMOTE_SENSING = "remote_sensing", _("Remote sensing")
    HEALTHCARE = "healthcare", _("Healthcare")
    FINANCE = "finance", _("Finance")
    EDUCATION = "education", _("Education")
    ENERGY = "energy", _("Energy")
    AGRICULTURE = "agriculture", _("Agriculture")


class LifecycleStage(models.TextChoices):
    """The six stages of the center's full-lifecycle service, in order."""

    SCENARIO_ANALYSIS = "scenario_analysis", _("Scenario analysis")
    SOLUTION_DESIGN = "solution_design", _("Solution design")
    MODEL_DEVELOPMENT = "model_development", _("Model development")
    APPLICATION_DEVELOPMENT = "application_development", _("Application development/migration")
    PRODUCT_LAUNCH = "product_launch", _("Product launch")
    JOINT_MARKETING = "joint_marketing", _("Joint marketing")

    @classmethod
    def next_after(cls, stage: str) -> "LifecycleStage | None":
        values = list(cls.values)
        index = values.index(stage)
        return cls(values[index + 1]) if index + 1 < len(values) else None


class CompanyQuerySet(models.QuerySet):
    def partners(self):
        """The incubated companies: every row but the center's own account."""
        return self.filter(is_center_account=False)


class Company(TimeStampedModel):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ADMITTED = "admitted", _("Admitted")
        INCUBATING = "incubating", _("Incubating")
        GRADUATED = "graduated", _("Graduated")
        EXITED = "exited", _("Exited")

    class Size(models.TextChoices):
        MICRO = "micro", _("Micro (under 10 people)")
        SMALL = "small", _("Small (10–99)")
        MEDIUM = "medium", _("Medium (100–999)")
        LARGE = "large", _("Large (1000 and more)")

    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="company",
        verbose_name=_("organisation"),
    )
    legal_name = models.CharField(_("legal name"), max_length=200, unique=True)
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_uscc],
        help_text=_("18 characters, as printed on the business licence."),
    )
    industry = models.CharField(_("industry"), max_length=40, choices=Industry.choices)
    city = models.CharField(_("city"), max_length=60)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices, default=Size.SMALL)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.APPLIED, db_index=True
    )
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    admitted_on = models.DateField(_("admitted on"), null=True, blank=True)
    graduated_on = models.DateField(_("graduated on"), null=True, blank=True)
    exited_on = models.DateField(_("exited on"), null=True, blank=True)
    exit_reason = models.TextField(_("exit reason"), blank=True)
    # The company agreed to be named on the public showcase and the leaderboards.
    listed_publicly = models.BooleanField(
        _("listed publicly"),
        default=False,
        db_default=False,
        help_text=_("Name the company on the public showcase and the benchmark leaderboards."),
    )
    # The center's own account: it holds the allocations benchmark suites and verification
    # runs use. It is not an incubated company, and company lists and figures leave it out.
    is_center_account = models.BooleanField(
        _("center account"), default=False, db_default=False, editable=False
    )

    scope = Scope(company="organisation")

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(condition=Q(uscc__length=18), name="company_uscc_18_chars"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["applied", "admitted", "incubating", "graduated", "exited"]
                ),
                name="company_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="exited") | ~Q(exit_reason=""),
                name="company_exit_has_reason",
                violation_error_message=_("Say why the company exited."),
            ),
            models.UniqueConstraint(
                fields=["is_center_account"],
                condition=Q(is_center_account=True),
                name="company_one_center_account",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        self.uscc = normalise(self.uscc)


class Engagement(TimeStampedModel):
    """The center's work with one company, moving through the six lifecycle stages."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="engagements", verbose_name=_("company")
    )
    title = models.CharField(_("title"), max_length=200)
    stage = models.CharField(
        _("stage"),
        max_length=40,
        choices=LifecycleStage.choices,
        default=LifecycleStage.SCENARIO_ANALYSIS,
        db_index=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_engagements",
        verbose_name=_("center owner"),
    )
    started_on = models.DateField(_("started on"))
    target_on = models.DateField(_("target date"), null=True, blank=True)
    stage_changed_at = models.DateTimeField(_("stage changed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    scope = Scope(company="company__organisation")

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["company__legal_name", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_on__isnull=True) | Q(target_on__gte=models.F("started_on")),
                name="engagement_target_after_start",
                violation_error_message=_("The target date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.title}"


class StageMove(models.Model):
    """One move of an engagement between lifecycle stages: who, when, from, to."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="moves", verbose_name=_("engagement")
    )
    from_stage = models.CharField(
        _("from stage"), max_length=40, choices=LifecycleStage.choices, blank=True
    )
    to_stage = models.CharField(_("to stage"), max_length=40, choices=LifecycleStage.choices)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moved by"),
    )
    moved_at = models.DateTimeField(_("moved at"), db_index=True)
    note = models.TextField(_("note"), blank=True)

    scope = Scope(company="engagement__company__organisation")

    class Meta:
        verbose_name = _("stage move")
        verbose_name_plural = _("stage moves")
        ordering = ["-moved_at", "-id"]

    def __str__(self) -> str:
        return f"{self.engagement}: {self.from_stage or '—'} → {self.to_stage}"


class Milestone(TimeStampedModel):
    """A dated goal of an engagement, done with evidence; an overdue one shows on the board."""

    engagement = models.ForeignKey(
        Engagement,
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("engagement"),
    )
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_url = models.URLField(_("evidence link"), blank=True)

    scope = Scope(company="engagement__company__organisation")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"], name="milestone_open_due", condition=Q(done_on__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.engagement} · {self.title}"


class Solution(TimeStampedModel):
    class Status(models.TextChoices):
        INCUBATING = "incubating", _("Incubating")
        VERIFIED = "verified", _("Verified")
        LAUNCHED = "launched", _("Launched")

    name = models.CharField(_("name"), max_length=200, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    vertical = models.CharField(
        _("industry vertical"), max_length=40, choices=Industry.choices, db_index=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INCUBATING
    )
    companies = models.ManyToManyField(
        Company, related_name="solutions", verbose_name=_("companies")
    )
    launched_on = models.DateField(_("launched on"), null=True, blank=True)
    is_published = models.BooleanField(_("published as a showcase case"), default=False)
    showcase_text = models.TextField(_("showcase text"), blank=True)

    scope = Scope(company="companies__organisation", distinct=True)

    class Meta:
        verbose_name = _("solution")
        verbose_name_plural = _("solutions")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(status="launched"),
                name="solution_published_only_when_launched",
                violation_error_message=_("Only a launched solution can be published."),
            ),
            models.CheckConstraint(
                condition=Q(is_published=False) | ~Q(showcase_text=""),
                name="solution_published_has_case_text",
                violation_error_message=_(
                    "A published solution needs its case text: write what was built, for whom "
                    "and what it changed."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="launched") | Q(launched_on__isnull=False),
                name="solution_launched_has_date",
                violation_error_message=_("A launched solution needs its launch date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name
