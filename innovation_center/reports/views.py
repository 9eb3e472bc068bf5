from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers

from innovation_center.accounts.access import staff_required
from innovation_center.compute import capacity
from innovation_center.compute import pages as compute_pages
from innovation_center.compute import selectors as compute
from innovation_center.core import charts, clock
from innovation_center.reports import exports, home, selectors
from innovation_center.reports.forms import MonthForm
from innovation_center.reports.showcase import CACHE_SECONDS
from innovation_center.reports.showcase import showcase as showcase_content


def _link(name: str, query: str = "") -> str:
    return reverse(name) + (f"?{query}" if query else "")


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """One landing page; what it shows depends on the user's role, through the scope."""
    return render(request, "core/home.html", home.home_summary(user=request.user))


def showcase(request: HttpRequest) -> HttpResponse:
    """The public showcase: anyone, signed in or not, sees the same content."""
    response = render(request, "reports/showcase.html", showcase_content())
    # The content is computed once for everyone (reports/showcase.py); the page around it
    # carries the visitor's CSRF token (the language switch) and, signed in, their name: a
    # browser may keep it a few minutes, a shared cache never.
    signed_in = request.user.is_authenticated
    patch_cache_control(response, private=True, max_age=0 if signed_in else CACHE_SECONDS)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The center on one screen: every figure live, and linked to the list behind it."""
    now = clock.now()
    today = clock.today(at=now)
    months = clock.months_to(clock.this_month(at=now), 12)
    results = compute_pages.months_utilization(months, now=now)
    this_month = results[-1]
    waits = compute.queue_waits(year=today.year, month=today.month)
    jobs = selectors.jobs_by_status()
    top = selectors.hours_by_company(results)[:20]
    universities = selectors.courses_by_university()
    context = {
        "month_label": f"{today.year}-{today.month:02d}",
        "companies_by_status": selectors.companies_by_status(),
        "companies_by_stage": selectors.companies_by_stage(),
        "solutions_by_vertical": selectors.solutions_by_vertical(),
        "solutions_by_status": selectors.solutions_by_status(),
        "talent": selectors.talent_totals(),
        "utilization": this_month,
        "total": compute_pages.Figure.of(this_month.total),
        "by_site": compute_pages.figures(this_month.by_site),
        "by_type": compute_pages.figures(this_month.by_type),
        "jobs_queued": jobs.get("queued", 0),
        "jobs_running": jobs.get("running", 0),
        "wait_median": compute_pages.duration_text(waits["median_seconds"]),
        "demand": compute.unmet_demand(year=today.year, month=today.month),
        "capacity_outlook": capacity.outlook(days=90),
        "chart": charts.utilization_chart(
            months,
            compute_pages.utilization_by_site(results),
            complete=[result.complete for result in results],
        ),
        "hours_chart": charts.bar_chart(
            [
                (name, hours, f"{hours:,.0f}", reverse("ecosystem:company_detail", args=[pk]))
                for name, pk, hours in top
            ]
        ),
        "students_chart": charts.bar_chart(
            [
                (
                    name,
                    students,
                    f"{students:,} · {courses}",
                    _link("talent:course_list", urlencode({"university": pk})),
                )
                for name, pk, courses, students in universities
            ],
            color="#1a7f37",
        ),
        "universities": universities,
    }
    return render(request, "reports/dashboard.html", context)


@staff_required
def monthly(request: HttpRequest) -> HttpResponse:
    """The monthly report: prints cleanly, downloads as CSV and XLSX."""
    default = clock.past_months(1)[0]
    form = MonthForm(request.GET if request.GET.get("month") else None)
    year, month = form.cleaned_data["month"] if form.is_bound and form.is_valid() else default
    report = selectors.monthly_report(year=year, month=month)
    title = selectors.monthly_report_title(report)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        if fmt == "csv":
            body, content_type = (
                exports.report_csv(title=title, sections=report["sections"]),
                "text/csv; charset=utf-8",
            )
        else:
            body, content_type = (
                exports.report_xlsx(title=title, sections=report["sections"]),
                exports.XLSX_TYPE,
            )
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="monthly-report-{year}-{month:02d}.{fmt}"'
        )
        return response
    return render(
        request,
        "reports/monthly.html",
        {
            "form": form if form.is_bound else MonthForm(initial={"month": f"{year}-{month:02d}"}),
            "title": title,
            "month_value": f"{year}-{month:02d}",
            "report": report,
        },
    )
