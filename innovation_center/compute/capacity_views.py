"""Staff pages of capacity: the calendar's heat map and pools, and the actions on a grant."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import can_review_compute, role_required, staff_required
from innovation_center.compute import allocations
from innovation_center.compute import capacity as calendar_of
from innovation_center.compute.forms import (
    AllocationAdjustForm,
    AllocationReasonForm,
    CapacityPoolForm,
)
from innovation_center.compute.models import Allocation, CapacityPool
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, form_page

# Each action: the service, its form, and the message once done.
ACTIONS = {
    "adjust": (
        allocations.allocation_adjust,
        AllocationAdjustForm,
        gettext_lazy("Allocation #%(id)s changed."),
    ),
    "suspend": (
        allocations.allocation_suspend,
        AllocationReasonForm,
        gettext_lazy("Allocation #%(id)s suspended: no new job starts until it is resumed."),
    ),
    "resume": (
        allocations.allocation_resume,
        AllocationReasonForm,
        gettext_lazy("Allocation #%(id)s resumed."),
    ),
    "lend": (
        allocations.allocation_lend,
        AllocationReasonForm,
        gettext_lazy("Allocation #%(id)s lent its idle hours to the pool."),
    ),
    "revoke": (
        allocations.allocation_revoke,
        AllocationReasonForm,
        gettext_lazy("Allocation #%(id)s revoked; its unspent hours were written off."),
    ),
}


@staff_required
def capacity_page(request: HttpRequest) -> HttpResponse:
    """Pools × weeks for the next six months: committed share of each pool's limit."""
    calendar_of.ensure_pools()
    calendar = calendar_of.capacity_calendar()
    rows = calendar_of.heat_map(calendar)
    pools = {
        (p.accelerator_type_id, p.site_id): p
        for p in CapacityPool.objects.select_related("accelerator_type", "site")
    }
    for row in rows:
        row["pool"] = pools.get(row["key"])
    context = {
        "rows": rows,
        "weeks": [week for week, _cols in calendar.weeks()],
        "start": calendar.start,
        "end": calendar.end,
        "over_pools": sum(1 for row in rows if row["over_weeks"]),
        "can_edit": can_review_compute(request.user),
    }
    return render(request, "compute/capacity.html", context)


@role_required(can_review_compute)
def pool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(CapacityPool.objects.select_related("accelerator_type", "site"), pk=pk)

    def save(form):
        return calendar_of.pool_factor_set(
            pool=pool, actor=request.user, factor=form.cleaned_data["oversubscription"]
        )

    return form_page(
        request,
        form_class=CapacityPoolForm,
        instance=pool,
        save=save,
        title=_("Over-subscription of %(pool)s") % {"pool": pool},
        cancel_url=reverse("compute:capacity"),
    )


@require_POST
@role_required(can_review_compute)
def allocation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404(_("No such action on an allocation."))
    allocation = get_object_or_404(Allocation, pk=pk)
    service, form_class, done = ACTIONS[action]
    form = form_class(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        data.setdefault("reason", "")
        try:
            service(allocation=allocation, actor=request.user, **data)
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done % {"id": allocation.pk})
            return redirect("compute:allocation_detail", pk=allocation.pk)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(
                request, error if field == "__all__" else f"{form[field].label}: {error}"
            )
    return redirect("compute:allocation_detail", pk=allocation.pk)
