import django_filters

from innovation_center.compute.models import (
    Accelerator,
    Allocation,
    AllocationRequest,
    LedgerEntry,
)


class AcceleratorFilter(django_filters.FilterSet):
    class Meta:
        model = Accelerator
        fields = ["site", "accelerator_type", "health"]


class AllocationRequestFilter(django_filters.FilterSet):
    class Meta:
        model = AllocationRequest
        fields = ["company", "status", "kind", "accelerator_type", "site"]


class AllocationFilter(django_filters.FilterSet):
    class Meta:
        model = Allocation
        fields = ["company", "status", "accelerator_type", "site"]


class LedgerEntryFilter(django_filters.FilterSet):
    class Meta:
        model = LedgerEntry
        fields = ["allocation", "kind", "workload"]
