"""Pages of the public compute service: requests and their review, allocations, devices,
utilization.

Thin views: parse, call a selector or service, render. An htmx request gets the fragment
(`_name.html`), a plain request the whole page or a redirect, so every page works without
JavaScript. Rows outside the viewer's scope are 404 (`get_scoped_or_404`); actions the role
does not allow are 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    can_operate_devices,
    can_review_compute,
    get_scoped_or_404,
    is_company_owner,
    role_required,
    scoped_queryset,
    staff_required,
    viewer_for,
)
from innovation_center.compute import pages, selectors, services
from innovation_center.compute.forms import (
    AllocationChangeForm,
    AllocationFilterForm,
    AllocationRequestForm,
    ApproveForm,
    DeviceFilterForm,
    DeviceHealthForm,
    MonthForm,
    RejectForm,
    RequestFilterForm,
)
from innovation_center.compute.ledger import hours_text
from innovation_center.compute.models import (
    Accelerator,
    Allocation,
    AllocationRequest,
    Lease,
    LedgerEntry,
    Workload,
)
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, query_without
from innovation_center.core.pagination import paginate
from innovation_center.ecosystem.models import Company

REQUEST_RELATED = ("company", "accelerator_type", "site", "allocation", "requested_by")


def _staff_or_company(user) -> bool:
    viewer = viewer_for(user)
    return viewer.is_center_staff or viewer.is_company_member


staff_or_company_required = role_required(_staff_or_company)


def _companies_filter(user):
    if not viewer_for(user).is_center_staff:
        return None
    return scoped_queryset(user, Company).order_by("legal_name")


# Requests ------------------------------------------------------------------------------------


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    companies = pages.owned_companies(request.user)
    if not companies.exists():
        raise PermissionDenied(_("Only a company owner may request compute."))
    form = AllocationRequestForm(request.POST or None, companies=companies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.allocation_request_create(
                company=data["company"],
                actor=request.user,
                hours=data["hours"],
                device_cap=data["device_cap"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                purpose=data["purpose"],
                expected_outcome=data["expected_outcome"],
                accelerator_type=data["accelerator_type"],
                site=data["site"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your request #%(id)s was sent; the center will review it.") % {"id": created.pk},
            )
            return redirect("compute:request_detail", pk=created.pk)
    return render(request, "compute/request_form.html", {"form": form})


@staff_or_company_required
def request_list(request: HttpRequest) -> HttpResponse:
    companies = _companies_filter(request.user)
    form = RequestFilterForm(request.GET, companies=companies)
    form.is_valid()
    chosen = form.cleaned_data
    requests = scoped_queryset(request.user, AllocationRequest).select_related(*REQUEST_RELATED)
    if chosen.get("status"):
        requests = requests.filter(status=chosen["status"])
    if chosen.get("company"):
        requests = requests.filter(company=chosen["company"])
    context = {
        "form": form,
        "page_obj": paginate(request, requests),
        "query": query_without(request),
        "can_request": pages.owned_companies(request.user).exists(),
    }
    template = "compute/_request_table.html" if request.htmx else "compute/request_list.html"
    return render(request, template, context)


def _request_get(user, pk: int) -> AllocationRequest:
    return get_scoped_or_404(
        user,
        AllocationRequest,
        AllocationRequest.objects.select_related(*REQUEST_RELATED, "reviewed_by"),
        pk=pk,
    )


def _request_detail_context(request: HttpRequest, item: AllocationRequest, **forms) -> dict:
    pending = item.status == AllocationRequest.Status.PENDING
    can_decide = pending and can_review_compute(request.user)
    return {
        "item": item,
        "allocation": pages.granted_allocation(item),
        "history": pages.history_of(user=request.user, objects=[item]),
        "can_decide": can_decide,
        "can_withdraw": pending and is_company_owner(request.user, item.company),
        "approve_form": forms.get("approve_form")
        or (ApproveForm.for_request(item) if can_decide else None),
        "reject_form": forms.get("reject_form")
        or (RejectForm.for_request(item) if can_decide else None),
    }


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request_get(request.user, pk)
    return render(request, "compute/request_detail.html", _request_detail_context(request, item))


@require_POST
@login_required
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request_get(request.user, pk)
    if not is_company_owner(request.user, item.company):
        raise PermissionDenied
    try:
        services.allocation_request_withdraw(request=item, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Request #%(id)s was withdrawn.") % {"id": item.pk})
    return redirect("compute:request_detail", pk=item.pk)


@staff_required
def review_queue(request: HttpRequest) -> HttpResponse:
    ranked = selectors.review_queue()
    page_obj = paginate(request, ranked)
    can_decide = can_review_compute(request.user)
    rows = [
        {
            "ranked": entry,
            "item": entry.request,
            "approve_form": ApproveForm.for_request(entry.request) if can_decide else None,
            "reject_form": RejectForm.for_request(entry.request) if can_decide else None,
        }
        for entry in page_obj
    ]
    context = {"page_obj": page_obj, "rows": rows, "can_decide": can_decide, "query": ""}
    template = "compute/_review_table.html" if request.htmx else "compute/review_queue.html"
    return render(request, template, context)


def _decision_response(
    request: HttpRequest,
    item: AllocationRequest,
    *,
    done: str | None,
    approve_form=None,
    reject_form=None,
) -> HttpResponse:
    """After a decision: the queue row (htmx), else a redirect or the request page with errors."""
    if request.htmx:
        item.refresh_from_db()
        ranked = None
        if item.status == AllocationRequest.Status.PENDING:
            ranked = next((r for r in selectors.review_queue() if r.request.pk == item.pk), None)
        row = {
            "ranked": ranked,
            "item": item,
            "allocation": pages.granted_allocation(item),
            "approve_form": approve_form or ApproveForm.for_request(item),
            "reject_form": reject_form or RejectForm.for_request(item),
        }
        return render(
            request, "compute/_review_row.html", {"row": row, "can_decide": True, "done": done}
        )
    if done is not None:
        messages.success(request, done)
        return redirect("compute:review_queue")
    item.refresh_from_db()
    if item.status != AllocationRequest.Status.PENDING:
        # Decided meanwhile by someone else: the form errors say so; show the decision.
        errors = (approve_form or reject_form).non_field_errors()
        for message in errors:
            messages.error(request, message)
        return redirect("compute:request_detail", pk=item.pk)
    context = _request_detail_context(
        request, item, approve_form=approve_form, reject_form=reject_form
    )
    return render(request, "compute/request_detail.html", context)


@require_POST
@role_required(can_review_compute)
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request_get(request.user, pk)
    form = ApproveForm.for_request(item, request.POST)
    done = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            allocation = services.allocation_request_approve(
                request=item,
                actor=request.user,
                hours=data["hours"],
                device_cap=data["device_cap"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            done = _("Request #%(id)s approved: allocation #%(allocation)s, %(hours)s h.") % {
                "id": item.pk,
                "allocation": allocation.pk,
                "hours": hours_text(data["hours"]),
            }
    return _decision_response(request, item, done=done, approve_form=form)


@require_POST
@role_required(can_review_compute)
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request_get(request.user, pk)
    form = RejectForm.for_request(item, request.POST)
    done = None
    if form.is_valid():
        try:
            services.allocation_request_reject(
                request=item, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            done = _("Request #%(id)s rejected.") % {"id": item.pk}
    return _decision_response(request, item, done=done, reject_form=form)


# Allocations ---------------------------------------------------------------------------------


@staff_or_company_required
def allocation_list(request: HttpRequest) -> HttpResponse:
    companies = _companies_filter(request.user)
    form = AllocationFilterForm(request.GET, companies=companies)
    form.is_valid()
    chosen = form.cleaned_data
    allocations = selectors.allocation_list(user=request.user, status=chosen.get("status") or None)
    if chosen.get("company"):
        allocations = allocations.filter(company=chosen["company"])
    page_obj = paginate(request, allocations)
    balances = selectors.allocation_balances(allocation_ids=[a.pk for a in page_obj])
    empty = selectors.Balance(selectors.ZERO, selectors.ZERO, selectors.ZERO)
    for allocation in page_obj:
        allocation.balance = balances.get(allocation.pk, empty)
    context = {
        "form": form,
        "page_obj": page_obj,
        "query": query_without(request),
        "can_request": pages.owned_companies(request.user).exists(),
    }
    template = "compute/_allocation_table.html" if request.htmx else "compute/allocation_list.html"
    return render(request, template, context)


def _allocation_get(user, pk: int) -> Allocation:
    return get_scoped_or_404(
        user,
        Allocation,
        Allocation.objects.select_related(
            "company", "accelerator_type", "site", "request__requested_by"
        ),
        pk=pk,
    )


def _allocation_context(request: HttpRequest, allocation: Allocation, change_form=None) -> dict:
    change_requests = list(
        allocation.change_requests.select_related("requested_by").order_by("-created_at")
    )
    history_objects = [allocation, *change_requests]
    if allocation.request is not None:
        history_objects.append(allocation.request)
    is_owner = is_company_owner(request.user, allocation.company)
    if is_owner and change_form is None:
        change_form = AllocationChangeForm(initial=AllocationChangeForm.initial_for(allocation))
    return {
        "allocation": allocation,
        "balance": selectors.allocation_balance(allocation=allocation),
        "ledger_page": pages.page_of(
            request,
            LedgerEntry.objects.filter(allocation=allocation)
            .select_related("workload", "actor")
            .order_by("-created_at", "-id"),
            param="ledger_page",
        ),
        "lease_page": pages.page_of(
            request,
            Lease.objects.filter(allocation=allocation)
            .select_related("accelerator__site", "workload")
            .order_by("-started_at", "-id"),
            param="lease_page",
        ),
        "ledger_query": query_without(request, "section", "ledger_page"),
        "lease_query": query_without(request, "section", "lease_page"),
        "change_requests": change_requests,
        "history": pages.history_of(user=request.user, objects=history_objects),
        "is_owner": is_owner,
        "change_form": change_form if is_owner else None,
    }


@login_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _allocation_get(request.user, pk)
    context = _allocation_context(request, allocation)
    section = request.GET.get("section")
    if request.htmx and section == "ledger":
        return render(request, "compute/_allocation_ledger.html", context)
    if request.htmx and section == "leases":
        return render(request, "compute/_allocation_leases.html", context)
    return render(request, "compute/allocation_detail.html", context)


@require_POST
@login_required
def allocation_change(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner asks for a renewal or an enlargement of the allocation."""
    allocation = _allocation_get(request.user, pk)
    if not is_company_owner(request.user, allocation.company):
        raise PermissionDenied
    form = AllocationChangeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.allocation_request_create(
                company=allocation.company,
                actor=request.user,
                kind=data["kind"],
                allocation=allocation,
                hours=data["hours"],
                device_cap=data["device_cap"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                purpose=data["purpose"],
                expected_outcome=data["expected_outcome"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your request #%(id)s was sent; the center will review it.") % {"id": created.pk},
            )
            return redirect("compute:request_detail", pk=created.pk)
    context = _allocation_context(request, allocation, change_form=form)
    return render(request, "compute/allocation_detail.html", context)


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
    template = "compute/_device_table.html" if request.htmx else "compute/device_list.html"
    return render(request, template, context)


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
        "chart": pages.utilization_chart(
            months,
            pages.utilization_by_site(results),
            complete=[result.complete for result in results],
        ),
    }
    template = "compute/_overview_body.html" if request.htmx else "compute/overview.html"
    return render(request, template, context)
