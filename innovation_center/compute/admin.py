"""The admin shows compute records; every change that has rules goes through the services.

An allocation's hours, dates and status, a device's health and the leases are read-only
here: an edit in the admin would bypass the ledger (a revocation writes off what is left),
the outage record and the scheduler's no-double-booking rule. Admin actions call the
services instead.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from innovation_center.compute import allocations, services
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    Lease,
    LedgerEntry,
    Site,
)
from innovation_center.core.errors import ApplicationError


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


def _health_action(health: str, label):
    def action(modeladmin, request, queryset):
        for device in queryset:
            services.accelerator_set_health(
                accelerator=device,
                health=health,
                actor=request.user,
                note=gettext("Set in the admin"),
            )
        modeladmin.message_user(
            request,
            gettext("%(count)d device(s) marked %(health)s.")
            % {"count": queryset.count(), "health": Accelerator.Health(health).label},
        )

    action.__name__ = f"mark_{health}"
    action.short_description = label
    return action


@admin.register(Accelerator)
class AcceleratorAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "accelerator_type", "health", "health_changed_at"]
    list_filter = ["health", "site", "accelerator_type"]
    search_fields = ["name"]
    list_select_related = ["site", "accelerator_type"]
    readonly_fields = ["health", "health_changed_at", "health_note"]
    actions = [
        _health_action(Accelerator.Health.HEALTHY, _("Mark healthy (ends the outage)")),
        _health_action(Accelerator.Health.DRAINING, _("Mark draining")),
        _health_action(Accelerator.Health.FAILED, _("Mark failed (requeues work not started)")),
    ]


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
    inlines = [LedgerEntryInline]
    readonly_fields = [
        "previous",
        "company",
        "request",
        "accelerator_type",
        "site",
        "hours_granted",
        "device_cap",
        "starts_on",
        "ends_on",
        "status",
    ]
    actions = ["revoke"]

    # Allocations come from approved requests (the review queue), with their ledger credit.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke (writes off the hours left, with a ledger row)"))
    def revoke(self, request, queryset):
        revoked = 0
        for allocation in queryset:
            try:
                allocations.allocation_revoke(
                    allocation=allocation,
                    actor=request.user,
                    reason=gettext("Revoked in the admin by %(user)s") % {"user": request.user},
                )
            except ApplicationError as error:
                self.message_user(
                    request, f"#{allocation.pk}: {error.message}", level=messages.WARNING
                )
            else:
                revoked += 1
        self.message_user(request, gettext("%(count)d allocation(s) revoked.") % {"count": revoked})


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

    # Leases are the scheduler's: an edited or added lease could double-book a device.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
