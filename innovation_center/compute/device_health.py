"""Device health: mark an accelerator healthy, draining or failed; end leases (compute.services)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from innovation_center.accounts.services import audit_record
from innovation_center.compute import rollups
from innovation_center.compute.models import Accelerator, DeviceOutage, Lease
from innovation_center.compute.scheduler import workload_release_failed_device
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError


@transaction.atomic
def accelerator_set_health(
    *, accelerator: Accelerator, health: str, actor, note: str = ""
) -> list[int]:
    """Mark a device healthy, draining or failed; returns ids of workloads sent back to the
    queue.

    Out-of-service time is recorded as a DeviceOutage (utilization excludes it). A failed
    device loses its active lease: work that had not started yet returns to the queue; a
    running job's shard on it fails and is retried on another device by the worker.
    """
    if health not in Accelerator.Health.values:
        raise ApplicationError(_("Unknown health state “%(state)s”.") % {"state": health})
    device = Accelerator.objects.select_for_update().get(pk=accelerator.pk)
    if device.health == health:
        return []
    now = clock.now()
    before = {"health": device.health}
    DeviceOutage.objects.filter(accelerator=device, ended_at__isnull=True).update(ended_at=now)
    if health != Accelerator.Health.HEALTHY:
        DeviceOutage.objects.create(
            accelerator=device, health=health, started_at=now, actor=actor, note=note
        )
    Accelerator.objects.filter(pk=device.pk).update(
        health=health, health_changed_at=now, health_note=note
    )
    audit_record(
        actor=actor,
        instance=device,
        action="health",
        before=before,
        after={"health": health, "note": note},
    )
    requeued: list[int] = []
    if health == Accelerator.Health.FAILED:
        requeued = workload_release_failed_device(accelerator=device, at=now)
    return requeued


def lease_end(*, lease_ids, at=None) -> int:
    at = at or clock.now()
    ended = Lease.objects.filter(pk__in=list(lease_ids), ended_at__isnull=True).update(ended_at=at)
    rollups.rollups_invalidate(since=at)
    return ended
