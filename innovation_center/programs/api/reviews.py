"""Reviews with their scores, and conflicts of interest, under /api/v1/.

A review is its reviewer's and the center's (`scoped_queryset`): the applicant's people never
find one by any URL.
"""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action

from innovation_center.accounts.access import is_center_staff
from innovation_center.accounts.api_access import ScopedViewSetMixin
from innovation_center.accounts.filters import ScopedFilterSet
from innovation_center.core.api import serializer_for
from innovation_center.programs import services
from innovation_center.programs.models import Answer, Call, ConflictOfInterest, Review, Score
from innovation_center.programs.serializers.reviews import (
    ConflictDeclareSerializer,
    ConflictSerializer,
    ReviewSerializer,
    ReviewSubmitSerializer,
)


def the_reviewer(user, review) -> bool:
    return review.reviewer_id == user.pk


def may_declare_conflicts(user, obj=None) -> bool:
    """Whoever reviews: center staff and the members of a call's panel."""
    return is_center_staff(user) or user.review_panels.exists()


class ReviewFilter(ScopedFilterSet):
    call = django_filters.ModelChoiceFilter(
        field_name="application__call",
        queryset=Call.objects.all(),
        to_field_name="slug",
        label=gettext_lazy("Call (short name)"),
    )
    submitted = django_filters.BooleanFilter(
        field_name="submitted_at",
        lookup_expr="isnull",
        exclude=True,
        label=gettext_lazy("Submitted"),
    )

    class Meta:
        model = Review
        fields = ["call", "application", "submitted"]


@extend_schema(tags=["programs"])
class ReviewViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Your reviews (center staff: all), each with the application's answers and files, the
    call's rubric and your scores. Applicants never see reviews or scores."""

    model = Review
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "submitted_at"]
    ordering = ["application__call", "application__company__legal_name", "id"]
    write_rules = {"submit": the_reviewer}
    get_serializer_class = serializer_for({"submit": ReviewSubmitSerializer}, ReviewSerializer)

    def related_queryset(self):
        return Review.objects.select_related(
            "reviewer", "application__call", "application__company"
        ).prefetch_related(
            Prefetch("scores", queryset=Score.objects.select_related("criterion")),
            Prefetch("application__answers", queryset=Answer.objects.select_related("question")),
            "application__attachments",
            "application__call__criteria",
        )

    @extend_schema(
        request=ReviewSubmitSerializer,
        responses=ReviewSerializer,
        examples=[
            OpenApiExample(
                "Score",
                value={"scores": {"3": 4, "4": 5}, "comments": "A strong team."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Score every criterion of the rubric from 1 to 5, with comments (your own review)."""
        review = self.get_object()
        data = self.validated_input(ReviewSubmitSerializer)
        review = services.review_submit(
            review=review, actor=request.user, scores=data["scores"], comments=data["comments"]
        )
        return self.write_response(review)


@extend_schema_view(
    create=extend_schema(
        request=ConflictDeclareSerializer,
        responses={201: ConflictSerializer},
        examples=[
            OpenApiExample(
                "Declare",
                value={"company": 12, "reason": "I advised them last year."},
                request_only=True,
            )
        ],
    )
)
@extend_schema(tags=["programs"])
class ConflictViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Your declared conflicts of interest (center staff: all): you are never assigned an
    application of a company you declared one with."""

    model = ConflictOfInterest
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    write_rules = {"create": may_declare_conflicts}
    get_serializer_class = serializer_for({"create": ConflictDeclareSerializer}, ConflictSerializer)

    def related_queryset(self):
        return ConflictOfInterest.objects.select_related("company")

    def create(self, request):
        data = self.validated_input()
        conflict = services.conflict_declare(
            reviewer=request.user, company=data["company"], reason=data["reason"]
        )
        return self.write_response(conflict, status_code=status.HTTP_201_CREATED)
