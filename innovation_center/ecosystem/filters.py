import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.filters import ScopedFilterSet
from innovation_center.core.uscc import normalise
from innovation_center.ecosystem.models import Company, Engagement, Solution


class CompanyFilter(ScopedFilterSet):
    search = django_filters.CharFilter(
        method="filter_search", label=_("Name contains, or the code starts with")
    )

    class Meta:
        model = Company
        fields = ["status", "industry", "city", "size"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(legal_name__icontains=value) | Q(uscc__startswith=normalise(value))
        )


class EngagementFilter(ScopedFilterSet):
    class Meta:
        model = Engagement
        fields = ["company", "stage", "owner"]


class SolutionFilter(ScopedFilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    company = django_filters.NumberFilter(field_name="companies", label=_("Company id"))

    class Meta:
        model = Solution
        fields = ["vertical", "status", "is_published"]
