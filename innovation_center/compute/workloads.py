"""Services of workloads: the compute side of a piece of work, from queue to finish.

The app that owns the work calls these inside its own transactions, so its record and the
workload change together; each state change is a conditional update on the old state.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from innovation_center.compute import rollups
from innovation_center.compute.models import Allocation, Lease, Workload
from innovation_center.core import clock


def workload_create(
    *,
    allocation: Allocation,
    devices: int,
    estimate_hours: Decimal,
    priority: int = 0,
    label: str = "",
    at: dt.datetime | None = None,
) -> Workload:
    """Queue a workload; the next scheduling round may bind it."""
    return Workload.objects.create(
        allocation=allocation,
        devices_requested=devices,
        estimate_hours=estimate_hours,
        priority=priority,
        label=label[:200],
        created_at=at or clock.now(),
    )


def workload_label(*, workload: Workload, label: str) -> None:
    Workload.objects.filter(pk=workload.pk).update(label=label[:200])
    workload.label = label[:200]


def workload_start(*, workload_id: int) -> bool:
    """Scheduled → running; False when it was not scheduled (requeued or finished)."""
    return bool(
        Workload.objects.filter(pk=workload_id, status=Workload.Status.SCHEDULED).update(
            status=Workload.Status.RUNNING
        )
    )


def workload_finish(*, workload_id: int, at: dt.datetime | None = None) -> int:
    """Finished, from any state, with its leases ended; returns the leases it ended."""
    at = at or clock.now()
    Workload.objects.filter(pk=workload_id).exclude(status=Workload.Status.FINISHED).update(
        status=Workload.Status.FINISHED, finished_at=at
    )
    ended = Lease.objects.filter(workload_id=workload_id, ended_at__isnull=True).update(ended_at=at)
    # An end dated back into a closed month changes that month's figures.
    rollups.rollups_invalidate(since=at)
    return ended


def workload_devices(*, workload_id: int) -> list[int]:
    """Ids of the devices bound to the workload now, by device name."""
    return list(
        Lease.objects.filter(workload_id=workload_id, ended_at__isnull=True)
        .order_by("accelerator__name")
        .values_list("accelerator_id", flat=True)
    )


def workload_active_leases(*, workload_id: int):
    """The workload's active leases with their devices, sites and types."""
    return (
        Lease.objects.filter(workload_id=workload_id, ended_at__isnull=True)
        .select_related("accelerator__site", "accelerator__accelerator_type")
        .order_by("accelerator__name")
    )
