"""The demo's background demand, scheduled by beat only when DEMO_DEMAND is on (`make run`)."""

from celery import shared_task

from innovation_center.demo import demand


@shared_task
def demand_submit() -> int:
    """A few small jobs from the demo companies; returns how many were submitted."""
    return len(demand.demand_submit())
