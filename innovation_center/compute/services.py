from django.db import transaction
from django.utils import timezone

from innovation_center.compute.models import Allocation


@transaction.atomic
def allocations_advance(*, today=None) -> dict[str, int]:
    """Start allocations whose period began and expire those whose period ended.

    Each change is a conditional update on the old status, so two beats cannot both make it.
    """
    today = today or timezone.localdate()
    started = Allocation.objects.filter(
        status=Allocation.Status.SCHEDULED, starts_on__lte=today, ends_on__gt=today
    ).update(status=Allocation.Status.ACTIVE)
    expired = Allocation.objects.filter(
        status__in=[Allocation.Status.SCHEDULED, Allocation.Status.ACTIVE], ends_on__lte=today
    ).update(status=Allocation.Status.EXPIRED)
    return {"started": started, "expired": expired}
