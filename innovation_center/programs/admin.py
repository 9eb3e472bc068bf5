"""The programs in the admin: for looking things up. Changes go through the pages (services),
which check the rules and keep the history; the admin shows applications read-only."""

from django.contrib import admin

from innovation_center.programs.models import (
    Answer,
    Application,
    Attachment,
    Call,
    ConflictOfInterest,
    Criterion,
    Question,
    Review,
    Score,
)


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "opens_on", "closes_at", "is_published"]
    list_filter = ["kind", "is_published"]
    search_fields = ["title", "title_zh", "slug"]
    filter_horizontal = ["panel"]
    inlines = [QuestionInline, CriterionInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AnswerInline(ReadOnlyInline):
    model = Answer


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["original_name", "content_type", "size", "uploaded_by", "created_at"]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["company", "call", "status", "submitted_at", "decided_at"]
    list_filter = ["status", "call"]
    search_fields = ["company__legal_name", "call__title"]
    list_select_related = ["company", "call"]
    inlines = [AnswerInline, AttachmentInline]

    def has_change_permission(self, request, obj=None):
        return False


class ScoreInline(ReadOnlyInline):
    model = Score


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "submitted_at"]
    list_select_related = ["application__company", "application__call", "reviewer"]
    inlines = [ScoreInline]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "company", "reason", "created_at"]
    search_fields = ["company__legal_name", "reviewer__username"]
    list_select_related = ["reviewer", "company"]
