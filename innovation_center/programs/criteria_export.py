"""The annual statistics of the incubator as an XLSX file, in the shape an incubator files.

Three sheets: the center's standing on each national criterion (figure, threshold, met, the
rule quoted), the incubated firms with their latest figures and those of the statistics year,
and the graduation candidates with the tests they pass. Every cell goes through
`core.exports.xlsx_cells` (names typed by companies stay text, never formulas).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from innovation_center.core import clock
from innovation_center.core.exports import xlsx_cells
from innovation_center.ecosystem.models import Company
from innovation_center.programs.criteria import (
    GRADUATION_TESTS,
    MEASURES,
    MONEY,
    criteria_standing,
    graduation_candidates,
    graduation_tests_passed,
    incubated_companies,
    with_graduation_figures,
)
from innovation_center.programs.kpi import Period
from innovation_center.programs.models import FundingRound, KpiReport

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class FirmFigures:
    company: Company
    latest: KpiReport | None
    year_revenue: Decimal
    year_funding: Decimal
    funding_total: Decimal
    patents_filed: int
    patents_granted: int
    copyrights_filed: int
    copyrights_granted: int
    products_launched: int
    tests: list[str]


def statistics_year(*, today: dt.date | None = None) -> int:
    """The year the annual statistics are for: the last calendar year that has ended."""
    return (today or clock.today()).year - 1


def incubated_firm_figures(*, today: dt.date | None = None) -> list[FirmFigures]:
    """Each incubated firm with its latest report and its figures of the statistics year
    (revenue, funding) and in total (IP, products): four queries whatever the count."""
    year = statistics_year(today=today)
    latest_id = (
        KpiReport.objects.filter(company=OuterRef("pk")).order_by("-year", "-half").values("pk")[:1]
    )
    companies = list(
        with_graduation_figures(incubated_companies(), today=today)
        .annotate(latest_report_id=Subquery(latest_id, output_field=IntegerField()))
        .order_by("legal_name")
    )
    ids = [c.pk for c in companies]
    latest = KpiReport.objects.in_bulk(
        [c.latest_report_id for c in companies if c.latest_report_id]
    )
    zero = Value(0)
    totals = {
        row["company"]: row
        for row in KpiReport.objects.filter(company__in=ids)
        .order_by()
        .values("company")
        .annotate(
            year_revenue=Coalesce(
                Sum("revenue", filter=Q(year=year)), Value(Decimal(0)), output_field=MONEY
            ),
            patents_filed_total=Coalesce(Sum("patents_filed"), zero),
            patents_granted_total=Coalesce(Sum("patents_granted"), zero),
            copyrights_filed_total=Coalesce(Sum("copyrights_filed"), zero),
            copyrights_granted_total=Coalesce(Sum("copyrights_granted"), zero),
            products_total=Coalesce(Sum("products_launched"), zero),
        )
    }
    year_funding = dict(
        FundingRound.objects.filter(report__company__in=ids, report__year=year)
        .order_by()
        .values("report__company")
        .annotate(total=Sum("amount"))
        .values_list("report__company", "total")
    )
    rows = []
    for company in companies:
        total = totals.get(company.pk, {})
        rows.append(
            FirmFigures(
                company=company,
                latest=latest.get(company.latest_report_id),
                year_revenue=total.get("year_revenue") or Decimal(0),
                year_funding=year_funding.get(company.pk) or Decimal(0),
                funding_total=company.funding_total,
                patents_filed=total.get("patents_filed_total", 0),
                patents_granted=total.get("patents_granted_total", 0),
                copyrights_filed=total.get("copyrights_filed_total", 0),
                copyrights_granted=total.get("copyrights_granted_total", 0),
                products_launched=total.get("products_total", 0),
                tests=graduation_tests_passed(company),
            )
        )
    return rows


def period_label(report: KpiReport | None) -> str:
    return Period(report.year, report.half).code if report else ""


def _money(value) -> float:
    # Spreadsheet cells hold numbers; yuan to the fen is exact in a double at these sizes.
    return float(value or 0)


def sheet_name(title: str) -> str:
    """A valid sheet name: at most 31 characters and none of []:*?/\\"""
    return "".join(c for c in str(title) if c not in "[]:*?/\\")[:31]


def _sheet(workbook: Workbook, title: str, heading: str, headers: Sequence, rows: Iterable):
    sheet = workbook.create_sheet(sheet_name(title))
    sheet.append(xlsx_cells(sheet, [heading]))
    sheet.append(xlsx_cells(sheet, [str(h) for h in headers]))
    bold = Font(bold=True)
    for cell in sheet[2]:
        cell.font = bold
    for row in rows:
        sheet.append(xlsx_cells(sheet, row))
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column[1:]) if len(column) > 1 else 10
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    return sheet


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def statistics_workbook(*, today: dt.date | None = None) -> bytes:
    """The annual statistics as XLSX bytes: standing, incubated firms, graduation candidates."""
    today = today or clock.today()
    year = statistics_year(today=today)
    heading = _("%(measures)s — the center's figures on %(date)s (statistics year %(year)d)") % {
        "measures": MEASURES,
        "date": today.isoformat(),
        "year": year,
    }
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        _("Standing"),
        heading,
        [
            _("Criterion"),
            _("Key"),
            _("Figure"),
            _("Threshold"),
            _("Unit"),
            _("Met"),
            _("Counted"),
            _("Out of"),
            _("Article"),
            _("Rule (original)"),
            _("Rule (English)"),
            _("Note"),
        ],
        (
            [
                str(s.title),
                s.key,
                float(s.value),
                float(s.threshold),
                str(s.unit),
                _yes(s.met),
                s.numerator,
                s.denominator or "",
                s.source.article,
                s.source.original,
                str(s.source.english),
                str(s.note),
            ]
            for s in criteria_standing(today=today)
        ),
    )
    _sheet(
        workbook,
        _("Incubated firms"),
        heading,
        [
            _("Company"),
            _("Unified social credit code"),
            _("Industry"),
            _("City"),
            _("Status"),
            _("Admitted on"),
            _("Latest report"),
            _("Employees (latest)"),
            _("High-tech enterprise (latest)"),
            _("Revenue in %(year)d (CNY)") % {"year": year},
            _("Funding in %(year)d (CNY)") % {"year": year},
            _("Funding in total (CNY)"),
            _("Patents filed"),
            _("Patents granted"),
            _("Software copyrights filed"),
            _("Software copyrights granted"),
            _("Products launched"),
            _("Graduation tests passed"),
        ],
        (
            [
                row.company.legal_name,
                row.company.uscc,
                row.company.get_industry_display(),
                row.company.city,
                row.company.get_status_display(),
                row.company.admitted_on.isoformat() if row.company.admitted_on else "",
                period_label(row.latest),
                row.latest.employees if row.latest else "",
                _yes(bool(row.latest and row.latest.high_tech_enterprise)),
                _money(row.year_revenue),
                _money(row.year_funding),
                _money(row.funding_total),
                row.patents_filed,
                row.patents_granted,
                row.copyrights_filed,
                row.copyrights_granted,
                row.products_launched,
                "; ".join(str(GRADUATION_TESTS[t]) for t in row.tests),
            ]
            for row in incubated_firm_figures(today=today)
        ),
    )
    _sheet(
        workbook,
        _("Graduation candidates"),
        heading,
        [
            _("Company"),
            _("Unified social credit code"),
            *[str(label) for label in GRADUATION_TESTS.values()],
            _("Angel or venture investment in total (CNY)"),
            _("Revenue over the last four half-years (CNY)"),
        ],
        (
            [
                company.legal_name,
                company.uscc,
                *[_yes(key in tests) for key in GRADUATION_TESTS],
                _money(company.raised_total),
                _money(company.revenue_two_years),
            ]
            for company, tests in graduation_candidates(today=today)
        ),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
