"""Pages of the public compute service: requests and their review, allocations (devices
and utilization are in device_views).

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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    can_review_compute,
    get_scoped_or_404,
    is_company_owner,
    is_owner_of_any_company,
    role_required,
    scoped_queryset,
    staff_or_company_required,
    staff_required,
    viewer_for,
)
from innovation_center.accounts.selectors import audit_history
from innovation_center.compute import (
    allocations,
    capacity,
    forecast,
    pages,
    selectors,
    services,
)
from innovation_center.compute.forms import (
    AllocationAdjustForm,
    AllocationChangeForm,
    AllocationFilterForm,
    AllocationRequestForm,
    ApproveForm,
    RejectForm,
    RequestFilterForm,
)
from innovation_center.compute.ledger import hours_text
from innovation_center.compute.models import (
    Allocation,
    AllocationRequest,
    Lease,
    LedgerEntry,
)
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, query_without
from innovation_center.core.htmx import page_or_fragment
from innovation_center.core.pagination import paginate
from innovation_center.ecosystem.models import Company

REQUEST_RELATED = ("company", "accelerator_type", "site", "allocation", "requested_by")


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
    context = {"form": form, "outlook": capacity.outlook(days=90)}
    return render(request, "compute/request_form.html", context)


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
        "can_request": is_owner_of_any_company(request.user),
    }
    return page_or_fragment(
        request,
        page="compute/request_list.html",
        fragment="compute/_request_table.html",
        context=context,
    )


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
        "history": audit_history(user=request.user, objects=[item]),
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
    # Ranked and paged by the database; only the page's rows get their capacity figures.
    page_obj = paginate(request, selectors.review_order())
    ranked = selectors.review_rows(list(page_obj.object_list), first_rank=page_obj.start_index())
    can_decide = can_review_compute(request.user)
    rows = [
        {
            "ranked": entry,
            "item": entry.request,
            "approve_form": ApproveForm.for_request(entry.request) if can_decide else None,
            "reject_form": RejectForm.for_request(entry.request) if can_decide else None,
        }
        for entry in ranked
    ]
    context = {"page_obj": page_obj, "rows": rows, "can_decide": can_decide, "query": ""}
    return page_or_fragment(
        request,
        page="compute/review_queue.html",
        fragment="compute/_review_table.html",
        context=context,
    )


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
            ranked = selectors.review_entry(request=item)
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
                overcommit_reason=data["overcommit_reason"],
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
        "can_request": is_owner_of_any_company(request.user),
    }
    return page_or_fragment(
        request,
        page="compute/allocation_list.html",
        fragment="compute/_allocation_table.html",
        context=context,
    )


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
        "history": audit_history(user=request.user, objects=history_objects),
        "is_owner": is_owner,
        "change_form": change_form if is_owner else None,
        "burn": forecast.burndown(allocation=allocation),
        "pool": _pool_for_rest_of(allocation),
        "can_manage": can_review_compute(request.user) and allocation.status in allocations.LIVE,
        "adjust_form": AllocationAdjustForm(),
        "lend_from": allocations.lend_allowed_from(allocation),
        "lent_hours": allocations.lent_hours(allocation),
    }


def _pool_for_rest_of(allocation: Allocation):
    """The allocation's pool over what is left of its period (None once it has ended)."""
    start = max(allocation.starts_on, clock.today())
    if allocation.ends_on <= start:
        return None
    return capacity.pool_totals(
        type_id=allocation.accelerator_type_id,
        site_id=allocation.site_id,
        starts_on=start,
        ends_on=allocation.ends_on,
    )


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
