"""KPI pages (company people and staff) and the national criteria pages (staff).

/kpi/: a company's people see their company's reports and file the half-year's; staff see
every company's, filtered by company and half-year. A report's page shows it and lets the
same people replace it. /kpi/criteria/: the center's standing on each national criterion,
the firms behind each figure, the graduation candidates, and the annual statistics as XLSX.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from innovation_center.accounts.access import (
    get_scoped_or_404,
    scoped_queryset,
    staff_or_company_required,
    staff_required,
    viewer_for,
)
from innovation_center.accounts.selectors import audit_history
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, form_filters, query_without
from innovation_center.core.pagination import paginate
from innovation_center.ecosystem.models import Company
from innovation_center.programs import criteria, criteria_export, kpi
from innovation_center.programs.kpi_forms import (
    FundingFormSet,
    KpiFilterForm,
    KpiReportForm,
    funding_rows,
    report_initial,
)
from innovation_center.programs.models import KpiReport

FILTER_PERIODS = 8


def _companies(user):
    """The companies the user may file for: their own, or (staff) every partner company."""
    return scoped_queryset(user, Company).partners().only("id", "legal_name").order_by("legal_name")


def _show_errors(form, error: ApplicationError) -> None:
    # Funding rounds are rows of the formset: their messages go above the form.
    funding = list(error.field_errors.get("funding", []))
    others = {name: msgs for name, msgs in error.field_errors.items() if name != "funding"}
    for message in funding:
        form.add_error(None, message)
    if others or not funding:
        rest = " ".join(str(m) for msgs in others.values() for m in msgs) or error.message
        apply_service_errors(form, ApplicationError(rest, field_errors=others))


def _save(request: HttpRequest, form, formset) -> KpiReport | None:
    """The report saved from valid forms, or None (the errors are on the forms)."""
    if not (form.is_valid() and formset.is_valid()):
        return None
    data = form.cleaned_data
    try:
        return kpi.kpi_report_save(
            company=data["company"],
            actor=request.user,
            year=data["year"],
            half=data["half"],
            revenue=data["revenue"],
            employees=data["employees"],
            patents_filed=data["patents_filed"],
            patents_granted=data["patents_granted"],
            copyrights_filed=data["copyrights_filed"],
            copyrights_granted=data["copyrights_granted"],
            high_tech_enterprise=data["high_tech_enterprise"],
            products_launched=data["products_launched"],
            acquired_or_listed=data["acquired_or_listed"],
            funding=funding_rows(formset),
        )
    except ApplicationError as error:
        _show_errors(form, error)
        return None


def _saved_message(request: HttpRequest, report: KpiReport) -> None:
    messages.success(
        request,
        _("The KPI report of %(company)s for %(period)s was saved.")
        % {"company": report.company.legal_name, "period": kpi.Period(report.year, report.half)},
    )


@staff_or_company_required
def report_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    companies = _companies(request.user)
    periods = [kpi.current_period(), *reversed(kpi.last_periods(FILTER_PERIODS))]
    filters = KpiFilterForm(request.GET, companies=companies, periods=periods)
    chosen = form_filters(filters)
    reports = kpi.kpi_report_list(
        user=request.user,
        company=chosen["company"].pk if chosen["company"] else None,
        period=kpi.Period.parse(chosen["period"]),
    )
    due = kpi.last_finished_period()
    post = request.POST if request.method == "POST" else None
    initial = {"year": due.year, "half": due.half}
    if chosen["company"]:
        # "Report a half-year" from a company's page: the form is for that company.
        initial["company"] = chosen["company"].pk
    form = KpiReportForm(post, companies=companies, initial=initial)
    formset = FundingFormSet(post, prefix="funding")
    if post is not None and (report := _save(request, form, formset)):
        _saved_message(request, report)
        return redirect("kpi:report_detail", pk=report.pk)
    return render(
        request,
        "programs/kpi/report_list.html",
        {
            "filters": filters,
            "page_obj": paginate(request, reports),
            "query": query_without(request),
            "is_staff": viewer.is_center_staff,
            "form": form,
            "formset": formset,
            "due": due,
            "show_company": viewer.is_center_staff or len(companies) > 1,
        },
    )


@staff_or_company_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_scoped_or_404(request.user, KpiReport, kpi.kpi_reports(user=request.user), pk=pk)
    can_edit = kpi.may_report(request.user, report.company)
    period = kpi.Period(report.year, report.half)
    companies = Company.objects.filter(pk=report.company_id).only("id", "legal_name")
    initial, rounds = report_initial(report)
    post = request.POST if request.method == "POST" and can_edit else None
    form = KpiReportForm(post, companies=companies, fixed_period=period, initial=initial)
    formset = FundingFormSet(post, prefix="funding", initial=rounds)
    if post is not None and (saved := _save(request, form, formset)):
        _saved_message(request, saved)
        return redirect("kpi:report_detail", pk=saved.pk)
    return render(
        request,
        "programs/kpi/report_detail.html",
        {
            "report": report,
            "period": period,
            "can_edit": can_edit,
            "form": form,
            "formset": formset,
            "total_funding": report.funding_total,
            "history": audit_history(user=request.user, objects=[report]),
        },
    )


# The national criteria --------------------------------------------------------------------------


@staff_required
def criteria_page(request: HttpRequest) -> HttpResponse:
    candidates = criteria.graduation_candidates()
    return render(
        request,
        "programs/criteria.html",
        {
            "standings": criteria.criteria_standing(),
            "candidates": [
                (company, [(key, criteria.GRADUATION_TESTS[key]) for key in tests])
                for company, tests in candidates
            ],
            "graduation_source": criteria.SOURCES["graduation"],
            "measures": criteria.MEASURES,
            "today": clock.today(),
        },
    )


@staff_required
def criteria_detail(request: HttpRequest, key: str) -> HttpResponse:
    standing = criteria.standing_get(key)
    if standing is None:
        raise Http404(_("No such criterion."))
    companies = Company.objects.filter(pk__in=standing.company_ids).only(
        "id", "legal_name", "uscc", "status", "city"
    )
    return render(
        request,
        "programs/criteria_detail.html",
        {
            "standing": standing,
            "page_obj": paginate(request, companies.order_by("legal_name")),
            "query": query_without(request),
            "measures": criteria.MEASURES,
        },
    )


@staff_required
def criteria_export_xlsx(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    response = HttpResponse(
        criteria_export.statistics_workbook(today=today), content_type=criteria_export.XLSX_TYPE
    )
    filename = f"incubator-statistics-{today.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
