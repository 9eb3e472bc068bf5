"""The demo's compute: allocations and their renewals, the review queue, the capacity pools,
two idle grants, and usage (leases and their ledger charges).

The phases of each company's grants share its pool's devices out exactly (their caps add up
to the pool's devices), so the usage fills every pool and no phase is idle or behind. What
over-commits a pool is what real centers see: grants of the home pool that nobody runs, and
devices out of service.
"""

from innovation_center.compute import capacity
from innovation_center.compute.models import AcceleratorType, CapacityPool, Site
from innovation_center.demo.data.network import POOL_OVERSUBSCRIPTION
from innovation_center.demo.grants import (  # noqa: F401 (re-exported)
    PHASE,
    SIX_PLACES,
    roll_pending_requests,
    seed_allocations,
    seed_expiries,
    seed_renewals,
)
from innovation_center.demo.idle_grants import seed_idle_allocations  # noqa: F401 (re-exported)
from innovation_center.demo.usage import (  # noqa: F401 (re-exported)
    DAILY_CHARGES_DAYS,
    END_OF_DAY,
    seed_usage,
)


def seed_capacity_pools(*, admin) -> None:
    """A stored row for every pool of the calendar, as the capacity page would make them; the
    pools of `POOL_OVERSUBSCRIPTION` get their factor from the admin, with its history row.
    Only rows this run creates are given a factor: a factor staff changed stays theirs."""
    before = set(CapacityPool.objects.values_list("accelerator_type_id", "site_id"))
    capacity.ensure_pools()
    types = dict(AcceleratorType.objects.values_list("preset", "pk"))
    sites = dict(Site.objects.values_list("code", "pk"))
    for (preset, site_code), factor in POOL_OVERSUBSCRIPTION.items():
        key = (types[preset], sites[site_code] if site_code else None)
        if key in before:
            continue
        pool = CapacityPool.objects.filter(accelerator_type_id=key[0], site_id=key[1]).first()
        if pool is not None:
            capacity.pool_factor_set(pool=pool, actor=admin, factor=factor)
