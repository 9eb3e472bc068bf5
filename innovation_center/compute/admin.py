from django.contrib import admin

from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    Lease,
    LedgerEntry,
    Site,
)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "city", "is_home", "commissioned_on"]
    search_fields = ["name", "code", "city"]


@admin.register(AcceleratorType)
class AcceleratorTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "vendor",
        "peak_tflops",
        "memory_gib",
        "memory_bandwidth_gbps",
        "interconnect_gbps",
    ]
    search_fields = ["name", "vendor"]


@admin.register(Accelerator)
class AcceleratorAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "accelerator_type", "health", "health_changed_at"]
    list_filter = ["health", "site", "accelerator_type"]
    search_fields = ["name"]
    list_select_related = ["site", "accelerator_type"]


@admin.register(AllocationRequest)
class AllocationRequestAdmin(admin.ModelAdmin):
    list_display = ["company", "kind", "hours", "device_cap", "starts_on", "ends_on", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["company__legal_name", "purpose"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "available", "reserved", "workload", "actor", "memo", "created_at"]

    # The ledger is append-only; corrections are new rows made by services.
    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = [
        "company",
        "accelerator_type",
        "site",
        "hours_granted",
        "device_cap",
        "starts_on",
        "ends_on",
        "status",
    ]
    list_filter = ["status", "accelerator_type", "site"]
    search_fields = ["company__legal_name"]
    list_select_related = ["company", "accelerator_type", "site"]
    autocomplete_fields = ["company"]
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "allocation", "kind", "available", "reserved", "workload"]
    list_filter = ["kind"]
    list_select_related = ["allocation__company"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ["accelerator", "allocation", "workload", "started_at", "ended_at"]
    list_filter = ["accelerator__site"]
    list_select_related = ["accelerator", "allocation__company", "workload"]
    raw_id_fields = ["accelerator", "allocation", "workload"]
    date_hierarchy = "started_at"
