import django_filters
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.filters import ScopedFilterSet
from innovation_center.talent.models import Course, CrowdTask, Internship, Program


class ProgramFilter(ScopedFilterSet):
    class Meta:
        model = Program
        fields = ["kind", "year"]


class CourseFilter(ScopedFilterSet):
    search = django_filters.CharFilter(field_name="title", lookup_expr="icontains")

    class Meta:
        model = Course
        fields = ["university", "program", "year", "term"]


class CrowdTaskFilter(ScopedFilterSet):
    search = django_filters.CharFilter(field_name="title", lookup_expr="icontains")

    class Meta:
        model = CrowdTask
        fields = ["university", "program", "kind", "status"]


class InternshipFilter(ScopedFilterSet):
    year = django_filters.NumberFilter(
        field_name="starts_on", lookup_expr="year", label=_("Year"), min_value=1, max_value=9999
    )

    class Meta:
        model = Internship
        fields = ["university", "program", "host_company"]
