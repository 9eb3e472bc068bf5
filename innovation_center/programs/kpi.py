"""Half-yearly KPI reports: filing them (create or replace a half), what is due, reminders.

A company reports each half-year (January–June, July–December) in the center's calendar
(`core.clock`, Asia/Shanghai): revenue, employees, funding rounds, IP, high-tech enterprise
status and products. The national incubator criteria (`programs.criteria`) are computed from
these rows. Owners of admitted and incubating companies are reminded once per half when the
report for the half that just ended is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.access import is_center_staff, is_member_of, scoped_queryset
from innovation_center.accounts.models import Membership, Notification, NotificationKind
from innovation_center.accounts.notifications import notify_organisation
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core import charts, clock
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem.models import Company
from innovation_center.programs.models import FundingRound, KpiReport

# The statuses whose companies report (and are reminded): those the center incubates now.
REPORTING_STATUSES = (Company.Status.ADMITTED, Company.Status.INCUBATING)
REMINDER_KIND = NotificationKind.KPI_REMINDER
FIRST_REPORTED_YEAR = 2000
COUNTED_FIELDS = (
    "employees",
    "patents_filed",
    "patents_granted",
    "copyrights_filed",
    "copyrights_granted",
    "products_launched",
)
MAX_FUNDING_ROUNDS = 20
MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True, order=True)
class Period:
    """A half-year: (year, half) with half 1 = January–June, 2 = July–December."""

    year: int
    half: int

    @property
    def starts_on(self) -> dt.date:
        return dt.date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def ends_on(self) -> dt.date:
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    @property
    def code(self) -> str:
        return f"{self.year}H{self.half}"

    def previous(self) -> Period:
        return Period(self.year, 1) if self.half == 2 else Period(self.year - 1, 2)

    def __str__(self) -> str:
        return self.code

    @classmethod
    def parse(cls, text: str) -> Period | None:
        """'2025H1' (or '2025-1'), else None."""
        text = (text or "").strip().upper().replace("-", "H")
        year, _sep, half = text.partition("H")
        if not (year.isdigit() and half in ("1", "2")):
            return None
        return cls(int(year), int(half))


def current_period(*, today: dt.date | None = None) -> Period:
    today = today or clock.today()
    return Period(today.year, 1 if today.month <= 6 else 2)


def last_finished_period(*, today: dt.date | None = None) -> Period:
    """The half-year that ended most recently: H1 from 1 July, the previous H2 from 1 January."""
    return current_period(today=today).previous()


def last_periods(count: int, *, today: dt.date | None = None) -> list[Period]:
    """The `count` finished half-years before today, oldest first."""
    periods = [last_finished_period(today=today)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]


# Filing ---------------------------------------------------------------------------------------


def _as_decimal(value, field: str, errors: dict) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        errors.setdefault(field, []).append(_("Enter a number."))
        return Decimal(0)
    if number < 0:
        errors.setdefault(field, []).append(_("This cannot be negative."))
    return number.quantize(Decimal("0.01"))


def _as_count(value, field: str, errors: dict) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return 0
    if number < 0:
        errors.setdefault(field, []).append(_("This cannot be negative."))
    return number


def _check_period(year, half, *, today: dt.date, errors: dict) -> Period:
    try:
        year, half = int(year), int(half)
    except (TypeError, ValueError):
        errors.setdefault("year", []).append(_("Choose a year and a half-year."))
        return Period(today.year, 1)
    if half not in (1, 2):
        errors.setdefault("half", []).append(
            _("The half-year is 1 (January–June) or 2 (July–December).")
        )
    if year > today.year:
        errors.setdefault("year", []).append(
            _("%(year)d is in the future: report a half-year that has begun.") % {"year": year}
        )
    elif year < FIRST_REPORTED_YEAR:
        errors.setdefault("year", []).append(
            _("Report a year from %(first)d on.") % {"first": FIRST_REPORTED_YEAR}
        )
    period = Period(year, half if half in (1, 2) else 1)
    if not errors and period > current_period(today=today):
        errors.setdefault("half", []).append(
            _("The half-year %(period)s has not begun yet (it starts on %(date)s).")
            % {"period": period.code, "date": period.starts_on.isoformat()}
        )
    return period


def _check_funding(funding, errors: dict) -> list[dict]:
    rows = []
    rounds = set(FundingRound.Round.values)
    funding = list(funding or ())
    if len(funding) > MAX_FUNDING_ROUNDS:
        errors.setdefault("funding", []).append(
            _("At most %(count)d funding rounds a half-year.") % {"count": MAX_FUNDING_ROUNDS}
        )
        return []
    for number, item in enumerate(funding, start=1):
        kind = str(item.get("round") or "")
        investors = str(item.get("investors") or "").strip()
        problems = []
        if kind not in rounds:
            problems.append(_("choose the kind of round"))
        try:
            amount = Decimal(str(item.get("amount")).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            amount = None
        if amount is None or not amount.is_finite() or amount <= 0:
            problems.append(_("the amount must be more than 0"))
        if len(investors) > 500:
            problems.append(_("name the investors in at most 500 characters"))
        if problems:
            errors.setdefault("funding", []).append(
                _("Funding round %(number)d: %(problems)s.")
                % {"number": number, "problems": "; ".join(problems)}
            )
            continue
        rows.append(
            {"round": kind, "amount": amount.quantize(Decimal("0.01")), "investors": investors}
        )
    return rows


def _snapshot(report: KpiReport, funding: list[dict]) -> dict:
    data = model_snapshot(report)
    data["funding"] = [
        {"round": f["round"], "amount": str(f["amount"]), "investors": f["investors"]}
        for f in funding
    ]
    return data


def _funding_of(report: KpiReport) -> list[dict]:
    return [
        {"round": f.round, "amount": f.amount, "investors": f.investors}
        for f in report.funding.order_by("id")
    ]


def may_report(actor, company: Company) -> bool:
    """The company's owners and members, and center staff."""
    return is_center_staff(actor) or is_member_of(actor, company)


@transaction.atomic
def kpi_report_save(
    *,
    company: Company,
    actor,
    year: int,
    half: int,
    revenue,
    employees: int,
    patents_filed: int,
    patents_granted: int,
    copyrights_filed: int,
    copyrights_granted: int,
    high_tech_enterprise: bool,
    products_launched: int,
    acquired_or_listed: bool = False,
    funding=(),
) -> KpiReport:
    """Create the company's report for (year, half), or replace it and its funding rounds.

    All or nothing: the figures and the rounds are written in one transaction, under a lock
    on the company so two people filing the same half at once cannot both insert it. Refused
    (ApplicationError, with the fields at fault): a half-year that has not begun, a year
    in the future, negative figures, a round without a kind or a positive amount, or an actor
    who is neither one of the company's people nor center staff. Every save is in the
    company's history.
    """
    if not may_report(actor, company):
        raise ApplicationError(
            _("Only the people of %(company)s and the center's staff can file its KPI reports.")
            % {"company": company.legal_name},
            code="forbidden",
        )
    if company.is_center_account:
        raise ApplicationError(_("The center's own account does not report KPIs."))
    today = clock.today()
    errors: dict[str, list[str]] = {}
    period = _check_period(year, half, today=today, errors=errors)
    figures = {"revenue": _as_decimal(revenue, "revenue", errors)}
    counts = {
        "employees": employees,
        "patents_filed": patents_filed,
        "patents_granted": patents_granted,
        "copyrights_filed": copyrights_filed,
        "copyrights_granted": copyrights_granted,
        "products_launched": products_launched,
    }
    for name, value in counts.items():
        figures[name] = _as_count(value, name, errors)
    rounds = _check_funding(funding, errors)
    if errors:
        messages = [message for field_messages in errors.values() for message in field_messages]
        raise ApplicationError(" ".join(messages), field_errors=errors)
    figures["high_tech_enterprise"] = bool(high_tech_enterprise)
    figures["acquired_or_listed"] = bool(acquired_or_listed)

    # The lock that serialises two filings of the same half (no row to lock yet on a create).
    Company.objects.select_for_update().filter(pk=company.pk).first()
    report = (
        KpiReport.objects.select_for_update()
        .filter(company=company, year=period.year, half=period.half)
        .first()
    )
    if report is None:
        report = KpiReport(company=company, year=period.year, half=period.half)
        before = None
        action = "create"
    else:
        before = _snapshot(report, _funding_of(report))
        action = "update"
    for name, value in figures.items():
        setattr(report, name, value)
    report.submitted_by = actor if getattr(actor, "is_authenticated", False) else None
    report.save()
    report.funding.all().delete()
    FundingRound.objects.bulk_create(FundingRound(report=report, **row) for row in rounds)
    audit_record(
        actor=actor,
        instance=report,
        action=action,
        before=before,
        after=_snapshot(report, rounds),
        organisation=company.organisation,
    )
    return report


# Reads ----------------------------------------------------------------------------------------


def kpi_reports(*, user) -> QuerySet[KpiReport]:
    """The reports `user` may see (their companies', or every one for staff), with funding."""
    funding_total = (
        FundingRound.objects.filter(report=OuterRef("pk"))
        .order_by()
        .values("report")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        scoped_queryset(user, KpiReport)
        .select_related("company", "submitted_by")
        .prefetch_related(Prefetch("funding", queryset=FundingRound.objects.order_by("id")))
        .annotate(funding_total=Coalesce(Subquery(funding_total), Decimal(0), output_field=MONEY))
    )


def kpi_report_list(
    *, user, company: int | None = None, period: Period | None = None
) -> QuerySet[KpiReport]:
    qs = kpi_reports(user=user)
    if company:
        qs = qs.filter(company_id=company)
    if period:
        qs = qs.filter(year=period.year, half=period.half)
    return qs.order_by("-year", "-half", "company__legal_name", "id")


def reporting_companies(*, period: Period) -> QuerySet[Company]:
    """Companies that owe a report for `period`: admitted or incubating partners that had
    been admitted before it ended (or have no admission date)."""
    return (
        Company.objects.partners()
        .filter(status__in=REPORTING_STATUSES)
        .filter(Q(admitted_on__isnull=True) | Q(admitted_on__lte=period.ends_on))
    )


def kpi_due_reports(*, today: dt.date | None = None) -> list[tuple[Company, int, int]]:
    """(company, year, half) for each reporting company without a report for the half-year
    that ended last (H1 from 1 July on, H2 of the year before from 1 January on)."""
    period = last_finished_period(today=today)
    filed = KpiReport.objects.filter(company=OuterRef("pk"), year=period.year, half=period.half)
    companies = (
        reporting_companies(period=period)
        .filter(~Exists(filed))
        .select_related("organisation")
        .order_by("legal_name")
    )
    return [(company, period.year, period.half) for company in companies]


def reminder_url(*, company: Company, period: Period) -> str:
    """The reminder's link; also what tells that this company was reminded of this half."""
    return f"{reverse('kpi:report_list')}?company={company.pk}&period={period.code}"


def kpi_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the owners of each company whose last half-year's report is missing, once per
    half: a company already sent the reminder for that half (a notification with its link)
    is skipped, so the daily run does not repeat itself. Returns how many companies were
    reminded. A company without an owner is skipped: nobody could sign in to file."""
    reminded = 0
    for company, year, half in kpi_due_reports(today=today):
        period = Period(year, half)
        url = reminder_url(company=company, period=period)
        with transaction.atomic():
            # The company row's lock keeps two overlapping runs from both sending.
            Company.objects.select_for_update().filter(pk=company.pk).first()
            if Notification.objects.filter(kind=REMINDER_KIND, url=url).exists():
                continue
            owners = Membership.objects.filter(
                organisation_id=company.organisation_id,
                role=Membership.Role.COMPANY_OWNER,
                user__is_active=True,
            )
            if not owners.exists():
                continue
            sent = notify_organisation(
                organisation=company.organisation,
                kind=REMINDER_KIND,
                roles={Membership.Role.COMPANY_OWNER},
                url=url,
                compose=_reminder_text(company, period),
            )
            reminded += bool(sent)
    return reminded


def _reminder_text(company: Company, period: Period):
    def compose() -> tuple[str, str]:
        subject = _("KPI report for %(period)s due: %(company)s") % {
            "period": period.code,
            "company": company.legal_name,
        }
        body = _(
            "The half-year %(period)s (%(start)s to %(end)s) has ended and %(company)s has not "
            "filed its KPI report yet: revenue, employees, funding raised, patents and software "
            "copyrights, high-tech enterprise status and products launched. Please file it in "
            "the Innovation Center."
        ) % {
            "period": period.code,
            "start": period.starts_on.isoformat(),
            "end": period.ends_on.isoformat(),
            "company": company.legal_name,
        }
        return subject, body

    return compose


# The company page's panel ---------------------------------------------------------------------


def company_kpi_panel(*, user, company: Company) -> dict:
    """The company's reports, oldest first, and the three charts over time (revenue,
    employees, funding raised per half-year), read with the viewer's rights."""
    reports = list(kpi_reports(user=user).filter(company=company).order_by("year", "half"))

    def chart(value, text):
        rows = [
            (
                Period(r.year, r.half).code,
                float(value(r)),
                text(r),
                reverse("kpi:report_detail", args=[r.pk]),
            )
            for r in reports
        ]
        return charts.bar_chart(rows, width=360, label_width=70, bar_height=14)

    def funding_of(report: KpiReport) -> Decimal:
        return sum((f.amount for f in report.funding.all()), Decimal(0))

    return {
        "company": company,
        "reports": reports,
        "can_report": may_report(user, company),
        "revenue_chart": chart(lambda r: r.revenue, lambda r: f"¥{r.revenue:,.0f}"),
        "employees_chart": chart(lambda r: r.employees, lambda r: str(r.employees)),
        "funding_chart": chart(funding_of, lambda r: f"¥{funding_of(r):,.0f}"),
    }
