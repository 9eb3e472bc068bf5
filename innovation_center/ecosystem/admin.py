from django.contrib import admin

from innovation_center.ecosystem.models import Company, Engagement, Solution, StageMove


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "uscc", "industry", "city", "status", "admitted_on"]
    list_filter = ["status", "industry", "city", "size"]
    search_fields = ["legal_name", "uscc"]
    raw_id_fields = ["organisation"]


class StageMoveInline(admin.TabularInline):
    model = StageMove
    extra = 0
    readonly_fields = ["from_stage", "to_stage", "moved_by", "moved_at", "note"]
    can_delete = False


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["title", "company", "stage", "owner", "started_on"]
    list_filter = ["stage"]
    search_fields = ["title", "company__legal_name"]
    list_select_related = ["company", "owner"]
    autocomplete_fields = ["company"]
    inlines = [StageMoveInline]


@admin.register(Solution)
class SolutionAdmin(admin.ModelAdmin):
    list_display = ["name", "vertical", "status", "launched_on", "is_published"]
    list_filter = ["vertical", "status", "is_published"]
    search_fields = ["name", "companies__legal_name"]
    autocomplete_fields = ["companies"]
