"""Read-only helpers of the compute pages: page figures, history of several objects, the chart.

Nothing here writes; the figures come from `compute.selectors` and are only shaped for
templates (percentages, hours, SVG coordinates).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from innovation_center.accounts.access import viewer_for
from innovation_center.accounts.models import Membership
from innovation_center.compute.models import Accelerator, Allocation, AllocationRequest, Lease
from innovation_center.compute.selectors import UtilizationRow, utilization_for_month
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company


def owned_companies(user):
    """Companies in which the user is an owner (those they may request compute for)."""
    viewer = viewer_for(user)
    organisation_ids = [
        org for org, role in viewer.roles.items() if role == Membership.Role.COMPANY_OWNER
    ]
    return Company.objects.filter(organisation_id__in=organisation_ids).order_by("legal_name")


def page_of(request, queryset, *, param: str, per_page: int = 25):
    """A page of `queryset` read from its own query parameter (several lists on one page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def attach_current_leases(devices) -> list[Accelerator]:
    """Set `current_lease` (with its workload and company) on each device, in one query."""
    devices = list(devices)
    leases = {
        lease.accelerator_id: lease
        for lease in Lease.objects.filter(
            accelerator_id__in=[d.pk for d in devices], ended_at__isnull=True
        ).select_related("allocation__company", "workload")
    }
    for device in devices:
        device.current_lease = leases.get(device.pk)
    return devices


def granted_allocation(request: AllocationRequest) -> Allocation | None:
    """The allocation a decision created or changed, if any."""
    if request.status != AllocationRequest.Status.APPROVED:
        return None
    if request.kind != AllocationRequest.Kind.NEW:
        return request.allocation
    return Allocation.objects.filter(request=request).first()


# Utilization figures ------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    devices: int
    busy_hours: float
    available_hours: float
    out_of_service_hours: float
    percent: float | None

    @classmethod
    def of(cls, row: UtilizationRow) -> Figure:
        return cls(
            label=row.label,
            devices=row.devices,
            busy_hours=row.busy_hours,
            available_hours=row.available_hours,
            out_of_service_hours=row.out_of_service_hours,
            percent=None if row.utilization is None else row.utilization * 100,
        )


def figures(rows) -> list[Figure]:
    return [Figure.of(row) for row in rows]


def duration_text(seconds: float | None) -> str:
    """A wait in plain words: "42 s", "7 min", "3 h 05 min"."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}


# Utilization of several months -------------------------------------------------------------


def months_utilization(months: list[tuple[int, int]], *, now=None) -> list:
    """`utilization_for_month` of each month, oldest first (exact, nothing cached), all
    measured at the same moment."""
    now = now or clock.now()
    return [utilization_for_month(year=year, month=month, now=now) for year, month in months]


def utilization_by_site(results: list) -> dict:
    """{site label: [UtilizationRow | None per month]} from `months_utilization`."""
    by_site: dict[str, list] = {}
    for index, result in enumerate(results):
        for row in result.by_site:
            by_site.setdefault(row.label, [None] * len(results))[index] = row
    return dict(sorted(by_site.items()))
