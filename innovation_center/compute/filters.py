from innovation_center.accounts.filters import ScopedFilterSet
from innovation_center.compute.models import (
    Accelerator,
    Allocation,
    AllocationRequest,
    LedgerEntry,
)


class AcceleratorFilter(ScopedFilterSet):
    class Meta:
        model = Accelerator
        fields = ["site", "accelerator_type", "health"]


class AllocationRequestFilter(ScopedFilterSet):
    class Meta:
        model = AllocationRequest
        fields = ["company", "status", "kind", "accelerator_type", "site"]


class AllocationFilter(ScopedFilterSet):
    class Meta:
        model = Allocation
        fields = ["company", "status", "accelerator_type", "site"]


class LedgerEntryFilter(ScopedFilterSet):
    class Meta:
        model = LedgerEntry
        fields = ["allocation", "kind", "workload"]
