"""Suites, submissions, the leaderboard and verifications under /api/v1/.

Suites are readable by every signed-in user (rules and the held-out set's shape only); a
company submits its own models; the leaderboard shows listed companies' lines and the
caller's own; only center staff verify.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from innovation_center.accounts.access import is_center_staff, is_member_of, scoped_queryset
from innovation_center.accounts.api_access import ScopedViewSetMixin
from innovation_center.benchmarks import selectors, services
from innovation_center.benchmarks.models import Submission, Suite, Verification
from innovation_center.benchmarks.serializers import (
    LeaderboardEntrySerializer,
    SubmissionCreateSerializer,
    SubmissionSerializer,
    SuiteSerializer,
    VerificationCreateSerializer,
    VerificationSerializer,
)
from innovation_center.core.api import serializer_for
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.selectors import member_companies


@extend_schema(tags=["benchmarks"])
class SuiteViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Benchmark suites: the rules, the device class, the held-out set's shape and classes."""

    model = Suite
    serializer_class = SuiteSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"

    def related_queryset(self):
        return Suite.objects.select_related("dataset", "accelerator_type")


@extend_schema(tags=["benchmarks"])
class SubmissionViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A company's entries in suites; each is one job on the suite's center allocation."""

    model = Submission
    write_rules = {"create": lambda user, obj=None: member_companies(user=user).exists()}
    get_serializer_class = serializer_for(
        {"create": SubmissionCreateSerializer}, SubmissionSerializer
    )

    def related_queryset(self):
        return Submission.objects.select_related("suite", "job")

    @extend_schema(request=SubmissionCreateSerializer, responses={201: SubmissionSerializer})
    def create(self, request):
        data = self.validated_input(SubmissionCreateSerializer)
        model = data["model"]
        if not is_member_of(request.user, model.company):
            message = _("Choose one of your company's models.")
            raise ApplicationError(message, field_errors={"model": [message]})
        return self.created_once(
            lambda: services.suite_submit(
                suite=data["suite"], company=model.company, model=model, actor=request.user
            )
        )


@extend_schema(tags=["benchmarks"])
class LeaderboardView(APIView):
    """A suite's ranked lines by the rule on the leaderboard page: the best verified run of
    each model, else its best run; listed companies' lines and the caller's own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("suite", str, required=True, description="The suite's short name."),
            OpenApiParameter("device_class", str, description="Only lines run on this class."),
        ],
        responses=LeaderboardEntrySerializer(many=True),
    )
    def get(self, request):
        slug = request.query_params.get("suite", "")
        if not slug:
            return Response(
                {"suite": ["Name the suite: ?suite=<short name> (see /api/v1/suites/)."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        suite = get_object_or_404(Suite, slug=slug)
        entries = selectors.leaderboard(suite=suite, user=request.user)
        device_class = request.query_params.get("device_class", "")
        if device_class:
            entries = [e for e in entries if e.device_class == device_class]
        return Response(LeaderboardEntrySerializer(entries, many=True).data)


@extend_schema(tags=["benchmarks"])
class VerificationViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The center's re-runs of stored results; staff start one, everyone in scope reads."""

    model = Verification
    write_rules = {"create": lambda user, obj=None: is_center_staff(user)}
    get_serializer_class = serializer_for(
        {"create": VerificationCreateSerializer}, VerificationSerializer
    )

    @extend_schema(request=VerificationCreateSerializer, responses={201: VerificationSerializer})
    def create(self, request):
        data = self.validated_input(VerificationCreateSerializer)
        job = get_object_or_404(scoped_queryset(request.user, EvaluationJob), pk=data["job"].pk)
        verification = services.result_verify(job=job, actor=request.user)
        return self.write_response(verification, status_code=status.HTTP_201_CREATED)
