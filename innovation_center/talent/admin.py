from django.contrib import admin

from innovation_center.talent.models import (
    Course,
    CrowdTask,
    Internship,
    Program,
    Teacher,
    University,
)


@admin.register(University)
class UniversityAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "city"]
    search_fields = ["name", "short_name"]
    raw_id_fields = ["organisation"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "year"]
    list_filter = ["kind", "year"]
    search_fields = ["name"]


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ["name", "university"]
    list_filter = ["university"]
    search_fields = ["name"]
    list_select_related = ["university"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "university",
        "program",
        "year",
        "term",
        "students_enrolled",
        "hours",
    ]
    list_filter = ["year", "term", "program", "university"]
    search_fields = ["title", "university__name"]
    list_select_related = ["university", "program"]
    filter_horizontal = ["teachers"]


@admin.register(CrowdTask)
class CrowdTaskAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "university", "team", "status", "delivered_on"]
    list_filter = ["kind", "status", "university"]
    search_fields = ["title", "team"]
    list_select_related = ["university"]


@admin.register(Internship)
class InternshipAdmin(admin.ModelAdmin):
    list_display = [
        "university",
        "host_company",
        "host_name",
        "student_count",
        "starts_on",
        "ends_on",
    ]
    list_filter = ["university"]
    list_select_related = ["university", "host_company"]
    autocomplete_fields = ["host_company"]
