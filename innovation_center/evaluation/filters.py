import django_filters

from innovation_center.accounts.filters import ScopedFilterSet
from innovation_center.evaluation.models import Dataset, EvaluationJob, JobResult, ModelArtifact


class ModelArtifactFilter(ScopedFilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = ModelArtifact
        fields = ["company", "format"]


class DatasetFilter(ScopedFilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Dataset
        fields = ["company", "kind"]


class EvaluationJobFilter(ScopedFilterSet):
    class Meta:
        model = EvaluationJob
        fields = ["company", "status", "model", "dataset", "allocation"]


class JobResultFilter(ScopedFilterSet):
    model = django_filters.NumberFilter(field_name="job__model")
    dataset = django_filters.NumberFilter(field_name="job__dataset")

    class Meta:
        model = JobResult
        fields = ["model", "dataset"]
