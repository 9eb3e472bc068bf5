"""Staff pages of the devices and of utilization: health changes, the monthly figures."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    can_operate_devices,
    get_scoped_or_404,
    role_required,
    scoped_queryset,
    staff_required,
)
from innovation_center.compute import pages, selectors, services
from innovation_center.compute.forms import (
    DeviceFilterForm,
    DeviceHealthForm,
    MonthForm,
)
from innovation_center.compute.models import (
    Accelerator,
    Workload,
)
from innovation_center.compute.scheduler import fair_share_half_life
from innovation_center.core import charts, clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, query_without
from innovation_center.core.htmx import page_or_fragment
from innovation_center.core.pagination import paginate

REQUEST_RELATED = ("company", "accelerator_type", "site", "allocation", "requested_by")


# Devices -------------------------------------------------------------------------------------


@staff_required
def device_list(request: HttpRequest) -> HttpResponse:
    form = DeviceFilterForm(request.GET)
    form.is_valid()
    chosen = form.cleaned_data
    devices = scoped_queryset(request.user, Accelerator).select_related("site", "accelerator_type")
    if chosen.get("site"):
        devices = devices.filter(site=chosen["site"])
    if chosen.get("accelerator_type"):
        devices = devices.filter(accelerator_type=chosen["accelerator_type"])
    if chosen.get("health"):
        devices = devices.filter(health=chosen["health"])
    page_obj = paginate(request, devices)
    can_operate = can_operate_devices(request.user)
    rows = [
        {"device": device, "form": DeviceHealthForm.for_device(device) if can_operate else None}
        for device in pages.attach_current_leases(page_obj)
    ]
    context = {
        "form": form,
        "page_obj": page_obj,
        "rows": rows,
        "can_operate": can_operate,
        "query": query_without(request),
        "next": request.get_full_path(),
    }
    return page_or_fragment(
        request,
        page="compute/device_list.html",
        fragment="compute/_device_table.html",
        context=context,
    )


@require_POST
@role_required(can_operate_devices)
def device_health(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_scoped_or_404(
        request.user,
        Accelerator,
        Accelerator.objects.select_related("site", "accelerator_type"),
        pk=pk,
    )
    form = DeviceHealthForm.for_device(device, request.POST)
    done = None
    if form.is_valid():
        try:
            requeued = services.accelerator_set_health(
                accelerator=device,
                health=form.cleaned_data["health"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            device.refresh_from_db()
            done = _("%(device)s is now %(health)s.") % {
                "device": device.name,
                "health": device.get_health_display(),
            }
            if requeued:
                labels = Workload.objects.filter(pk__in=requeued).values_list("label", flat=True)
                done += " " + _("Jobs sent back to the queue: %(jobs)s.") % {
                    "jobs": ", ".join(sorted(labels))
                }
            form = DeviceHealthForm.for_device(device)
    if request.htmx:
        device = pages.attach_current_leases([device])[0]
        context = {
            "row": {"device": device, "form": form},
            "can_operate": True,
            "done": done,
            "next": request.POST.get("next", ""),
        }
        return render(request, "compute/_device_row.html", context)
    if done:
        messages.success(request, done)
    else:
        for message in [*form.non_field_errors(), *form.errors.get("health", [])]:
            messages.error(request, message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("compute:device_list")
    return redirect(target)


# Utilization ---------------------------------------------------------------------------------


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    default = clock.past_months(1)[0]
    form = MonthForm(
        request.GET if request.GET.get("month") else None,
        initial={"month": f"{default[0]}-{default[1]:02d}"},
    )
    chosen = (form.cleaned_data["month"] if form.is_bound and form.is_valid() else None) or default
    year, month = chosen
    # The chart's twelve months end with the chosen one, whose figures fill the tables.
    months = clock.months_to((year, month), 12)
    now = clock.now()
    results = pages.months_utilization(months, now=now)
    utilization = results[-1]
    waits = selectors.queue_waits(year=year, month=month)
    context = {
        "form": form,
        "month_label": f"{year}-{month:02d}",
        "total": pages.Figure.of(utilization.total),
        "by_site": pages.figures(utilization.by_site),
        "by_type": pages.figures(utilization.by_type),
        "by_company": pages.figures(utilization.by_company),
        "waits": waits,
        "wait_median": pages.duration_text(waits["median_seconds"]),
        "wait_p95": pages.duration_text(waits["p95_seconds"]),
        "demand": selectors.unmet_demand(year=year, month=month),
        "utilization": utilization,
        "fair_share_half_life_days": fair_share_half_life().total_seconds() / 86400,
        "chart": charts.utilization_chart(
            months,
            pages.utilization_by_site(results),
            complete=[result.complete for result in results],
        ),
    }
    return page_or_fragment(
        request,
        page="compute/overview.html",
        fragment="compute/_overview_body.html",
        context=context,
    )
