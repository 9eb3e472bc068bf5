"""The demo's compute network: accelerator types, sites and their devices."""

import datetime as dt

from django.utils import timezone

from innovation_center.compute.models import Accelerator, AcceleratorType, DeviceOutage, Site
from innovation_center.compute.rollups import rollups_invalidate
from innovation_center.demo.data.network import (
    ACCELERATOR_TYPES,
    DEVICE_POOLS,
    DRAINING_DEVICE,
    SITES,
)


def seed_compute_network(*, today: dt.date) -> None:
    types = {}
    for figures in ACCELERATOR_TYPES:
        fields = dict(figures)
        types[fields["preset"]] = AcceleratorType.objects.get_or_create(
            name=fields.pop("name"), defaults=fields
        )[0]
    sites = {}
    for figures in SITES:
        fields = dict(figures)
        code = fields.pop("code")
        sites[code] = Site.objects.get_or_create(code=code, defaults=fields)[0]
    existing = set(Accelerator.objects.values_list("name", flat=True))
    draining_name, draining_note = DRAINING_DEVICE
    new_devices = []
    for site_code, preset, prefix, count in DEVICE_POOLS:
        for number in range(1, count + 1):
            name = f"{prefix}-{number:03d}"
            if name in existing:
                continue
            device = Accelerator(site=sites[site_code], accelerator_type=types[preset], name=name)
            if name == draining_name:
                device.health = Accelerator.Health.DRAINING
                device.health_note = draining_note
                device.health_changed_at = timezone.make_aware(
                    dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10, 30))
                )
            new_devices.append(device)
    Accelerator.objects.bulk_create(new_devices)
    # The draining device's outage began after the last month of seeded usage.
    outages = DeviceOutage.objects.bulk_create(
        DeviceOutage(
            accelerator=device,
            health=device.health,
            started_at=device.health_changed_at,
            note=device.health_note,
        )
        for device in Accelerator.objects.filter(name__in=[d.name for d in new_devices])
        if device.health != Accelerator.Health.HEALTHY
    )
    if outages:  # bulk inserts send no signals: drop the stored months they reach into
        rollups_invalidate(since=min(outage.started_at for outage in outages))
