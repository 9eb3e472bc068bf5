from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope


class University(TimeStampedModel):
    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="university",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=60)

    scope = Scope(university="organisation")

    class Meta:
        verbose_name = _("university")
        verbose_name_plural = _("universities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(TimeStampedModel):
    """A center-wide talent program that universities take part in."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Course program")
        CROWD = "crowd", _("Crowd development")
        INTERNSHIP = "internship", _("Internship")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    description = models.TextField(_("description"), blank=True)

    scope = Scope(catalogue=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="program_unique_name_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="program_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class Teacher(TimeStampedModel):
    """A teacher of a university; one teacher may teach several courses."""

    university = models.ForeignKey(
        University, on_delete=models.CASCADE, related_name="teachers", verbose_name=_("university")
    )
    name = models.CharField(_("name"), max_length=100)

    scope = Scope(university="university__organisation")

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")
        ordering = ["university__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["university", "name"], name="teacher_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Course(TimeStampedModel):
    class Term(models.TextChoices):
        # In calendar order: pickers and filters list them as the year runs.
        SPRING = "spring", _("Spring")
        SUMMER = "summer", _("Summer")
        AUTUMN = "autumn", _("Autumn")

    university = models.ForeignKey(
        University, on_delete=models.CASCADE, related_name="courses", verbose_name=_("university")
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("program"),
        limit_choices_to={"kind": Program.Kind.COURSE},
    )
    title = models.CharField(_("title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    term = models.CharField(_("term"), max_length=10, choices=Term.choices)
    # Teachers are people, not a count: the article's "75 teachers" taught 105 courses.
    teachers = models.ManyToManyField(Teacher, related_name="courses", verbose_name=_("teachers"))
    students_enrolled = models.PositiveIntegerField(_("students enrolled"))
    hours = models.PositiveIntegerField(_("teaching hours"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )

    scope = Scope(university="university__organisation")

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-year", "university__name", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["university", "title", "year", "term"], name="course_unique_per_semester"
            ),
            models.CheckConstraint(condition=Q(hours__gte=1), name="course_has_hours"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year} {self.get_term_display()})"

    @property
    def semester(self) -> str:
        return f"{self.year} {self.get_term_display()}"


class CrowdTask(TimeStampedModel):
    """A crowd-development task taken on by a university team: an operator, model or app."""

    class Kind(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        MODEL = "model", _("Model")
        APPLICATION = "application", _("Application")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DELIVERED = "delivered", _("Delivered")
        ACCEPTED = "accepted", _("Accepted")

    university = models.ForeignKey(
        University,
        on_delete=models.CASCADE,
        related_name="crowd_tasks",
        verbose_name=_("university"),
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="crowd_tasks",
        null=True,
        blank=True,
        verbose_name=_("program"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    team = models.CharField(_("team"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    artifact_url = models.URLField(_("delivered artifact link"), blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)

    scope = Scope(university="university__organisation")

    class Meta:
        verbose_name = _("crowd-development task")
        verbose_name_plural = _("crowd-development tasks")
        ordering = ["university__name", "kind", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["university", "kind", "title"], name="crowdtask_unique_per_university"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["delivered", "accepted"]) | ~Q(artifact_url=""),
                name="crowdtask_delivered_has_artifact",
                violation_error_message=_("A delivered task needs the link to what was delivered."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Internship(TimeStampedModel):
    university = models.ForeignKey(
        University,
        on_delete=models.CASCADE,
        related_name="internships",
        verbose_name=_("university"),
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="internships",
        null=True,
        blank=True,
        verbose_name=_("program"),
    )
    host_company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="internships",
        verbose_name=_("host company"),
    )
    host_name = models.CharField(
        _("host name"),
        max_length=200,
        blank=True,
        help_text=_("When the host is not a company of the center."),
    )
    student_count = models.PositiveIntegerField(_("students"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    # The host company sees the internships it hosts; the university its own.
    scope = Scope(university="university__organisation", company="host_company__organisation")

    class Meta:
        verbose_name = _("internship")
        verbose_name_plural = _("internships")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="internship_ends_after_start",
                violation_error_message=_("An internship cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(student_count__gte=1), name="internship_has_students"
            ),
        ]

    def __str__(self) -> str:
        host = self.host_company or self.host_name
        return f"{self.university} → {host} ({self.starts_on:%Y-%m})"
