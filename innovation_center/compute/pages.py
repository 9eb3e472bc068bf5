"""Read-only helpers of the compute pages: page figures, history of several objects, the chart.

Nothing here writes; the figures come from `compute.selectors` and are only shaped for
templates (percentages, hours, SVG coordinates).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from innovation_center.accounts.access import viewer_for
from innovation_center.accounts.models import Membership
from innovation_center.compute.models import Accelerator, Allocation, AllocationRequest, Lease
from innovation_center.compute.selectors import UtilizationRow, utilization_for_month
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company

PALETTE = ["#c8102e", "#0b5cad", "#1a7f37", "#9a6700", "#6f42c1", "#00838f", "#d4500f", "#5b6776"]
REFERENCE = 0.9


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


# The chart -----------------------------------------------------------------------------------


@dataclass
class ChartPoint:
    x: float
    y: float
    month: str
    percent: float
    busy_hours: float
    available_hours: float
    so_far: bool = False  # the month has not ended: drawn apart, never held to the target


@dataclass
class ChartSeries:
    label: str
    color: str
    points: list[ChartPoint] = field(default_factory=list)
    # Months without figures break the line into segments.
    segments: list[str] = field(default_factory=list)
    legend_x: float = 0.0
    legend_y: float = 0.0


@dataclass
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_ticks: list[tuple[float, str]]
    reference_y: float
    x_labels: list[tuple[float, str]]
    series: list[ChartSeries]
    below_reference: list[str]
    # The label of the month still running, if the chart shows one.
    month_so_far: str = ""


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


LEGEND_COLUMNS = 3


def utilization_chart(
    months: list[tuple[int, int]],
    by_site: dict,
    *,
    complete: list[bool] | None = None,
    width: int = 760,
) -> Chart:
    """Coordinates of a line chart of monthly utilization per site, 0–100%, 90% marked.

    A month that has not ended (`complete` False) is drawn as an open point outside the line
    and is left out of the comparison with the target: its figure is only "so far".
    """
    complete = complete if complete is not None else [True] * len(months)
    legend_rows = max(1, -(-len(by_site) // LEGEND_COLUMNS))
    left, right, top, bottom = 52, width - 16, 16, 256
    height = bottom + 34 + 18 * legend_rows
    plot_w, plot_h = right - left, bottom - top
    step = plot_w / max(len(months), 1)

    def y_of(fraction: float) -> float:
        return round(bottom - max(0.0, min(fraction, 1.0)) * plot_h, 1)

    x_labels = [
        (round(left + (i + 0.5) * step, 1), f"{year}-{month:02d}")
        for i, (year, month) in enumerate(months)
    ]
    so_far = [not done for done in complete]
    series = []
    below = set()
    legend_step = plot_w / LEGEND_COLUMNS
    for n, (label, rows) in enumerate(by_site.items()):
        line = ChartSeries(
            label=label,
            color=PALETTE[n % len(PALETTE)],
            legend_x=round(left + (n % LEGEND_COLUMNS) * legend_step, 1),
            legend_y=bottom + 40 + 18 * (n // LEGEND_COLUMNS),
        )
        segment: list[str] = []
        for (x, month_label), row, running in zip(x_labels, rows, so_far, strict=True):
            if row is None or row.utilization is None or running:
                if segment:
                    line.segments.append(" ".join(segment))
                segment = []
            if row is None or row.utilization is None:
                continue
            if row.utilization < REFERENCE and not running:
                below.add(label)
            point = ChartPoint(
                x=x,
                y=y_of(row.utilization),
                month=month_label,
                percent=row.utilization * 100,
                busy_hours=row.busy_hours,
                available_hours=row.available_hours,
                so_far=running,
            )
            line.points.append(point)
            if not running:
                segment.append(f"{point.x},{point.y}")
        if segment:
            line.segments.append(" ".join(segment))
        series.append(line)
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_ticks=[(y_of(f), f"{round(f * 100)}%") for f in (0, 0.25, 0.5, 0.75, 1.0)],
        reference_y=y_of(REFERENCE),
        x_labels=x_labels,
        series=series,
        below_reference=sorted(below),
        month_so_far=next(
            (label for (_x, label), running in zip(x_labels, so_far, strict=True) if running), ""
        ),
    )
