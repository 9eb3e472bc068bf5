"""Calls and applications under /api/v1/.

Published calls are every signed-in user's, drafts the center's; an application is its
company's people's and the assigned reviewers' (`scoped_queryset`). Writes call
programs.services, as the pages do.
"""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from innovation_center.accounts.access import is_center_staff, is_company_person, is_member_of
from innovation_center.accounts.api_access import ScopedViewSetMixin
from innovation_center.accounts.filters import ScopedFilterSet
from innovation_center.core.api import serializer_for
from innovation_center.programs import selectors, services
from innovation_center.programs.models import Answer, Application, Call
from innovation_center.programs.serializers.calls import (
    ApplicationDecideSerializer,
    ApplicationSaveSerializer,
    ApplicationSerializer,
    ApplicationStartSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CallPublishSerializer,
    CallSerializer,
    CallWriteSerializer,
    RankedApplicationSerializer,
    ReviewAssignmentSerializer,
)


def staff(user, obj=None) -> bool:
    return is_center_staff(user)


def applicant(user, application) -> bool:
    """The applicant company's owners and members (center staff do not apply)."""
    return is_member_of(user, application.company)


def may_apply(user, obj=None) -> bool:
    return is_company_person(user)


# Filters --------------------------------------------------------------------------------------


class CallFilter(ScopedFilterSet):
    class Meta:
        model = Call
        fields = ["kind", "is_published"]


class ApplicationFilter(ScopedFilterSet):
    call = django_filters.ModelChoiceFilter(
        queryset=Call.objects.all(), to_field_name="slug", label=gettext_lazy("Call (short name)")
    )

    class Meta:
        model = Application
        fields = ["call", "company", "status"]


# Calls ----------------------------------------------------------------------------------------

CALL_EXAMPLE = OpenApiExample(
    "An incubation cohort",
    value={
        "kind": "incubation",
        "slug": "cohort-2026-autumn",
        "title": "Autumn 2026 cohort",
        "title_zh": "2026年秋季孵化批次",
        "text": "Six months of incubation for AI hardware start-ups.",
        "text_zh": "为人工智能硬件初创企业提供六个月孵化。",
        "opens_on": "2026-06-01",
        "closes_at": "2026-07-15T17:00:00+08:00",
        "reviews_per_application": 2,
        "questions": [{"text": "What do you build?", "text_zh": "你们做什么产品？"}],
        "criteria": [
            {"name": "Team", "name_zh": "团队", "weight": "2.00"},
            {"name": "Market", "name_zh": "市场", "weight": "1.00"},
        ],
        "panel": [7, 9],
    },
    request_only=True,
)


def _plain(data: dict) -> dict:
    """Validated input as the services take it: nested rows as plain dicts."""
    for name in ("questions", "criteria"):
        if name in data:
            data[name] = [dict(row) for row in data[name]]
    return data


@extend_schema_view(
    create=extend_schema(
        request=CallWriteSerializer, responses={201: CallSerializer}, examples=[CALL_EXAMPLE]
    ),
    update=extend_schema(request=CallWriteSerializer, responses=CallSerializer),
    partial_update=extend_schema(request=CallWriteSerializer, responses=CallSerializer),
)
@extend_schema(tags=["programs"])
class CallViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Calls for applications with their questions and scoring rubric: published calls for
    every signed-in user, drafts for center staff, who write them."""

    model = Call
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"
    filterset_class = CallFilter
    ordering_fields = ["closes_at", "opens_on", "title", "created_at"]
    ordering = ["-closes_at", "-id"]
    write_rules = {
        name: staff
        for name in (
            "create",
            "update",
            "partial_update",
            "publish",
            "assign_reviewers",
            "ranking",
        )
    }
    get_serializer_class = serializer_for(
        {
            "create": CallWriteSerializer,
            "update": CallWriteSerializer,
            "partial_update": CallWriteSerializer,
            "publish": CallPublishSerializer,
        },
        CallSerializer,
    )

    def related_queryset(self):
        return Call.objects.prefetch_related("questions", "criteria", "panel")

    def create(self, request):
        data = _plain(self.validated_input())
        call = services.call_create(actor=request.user, **data)
        return self.write_response(call, status_code=status.HTTP_201_CREATED)

    def update(self, request, slug=None, partial=False):
        call = self.get_object()
        data = _plain(self.validated_input(instance=call, partial=partial))
        call = services.call_update(actor=request.user, call=call, **data)
        return self.write_response(call)

    def partial_update(self, request, slug=None):
        return self.update(request, slug, partial=True)

    @extend_schema(request=CallPublishSerializer, responses=CallSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        """Publish the call (every signed-in user sees it), or take it back to a draft."""
        call = self.get_object()
        published = self.validated_input()["published"]
        call = services.call_publish(actor=request.user, call=call, published=published)
        return self.write_response(call)

    @extend_schema(request=None, responses=ReviewAssignmentSerializer(many=True))
    # Named "call-assign": the tests find a detail route's row by the name before its last dash.
    @action(detail=True, methods=["post"], url_path="assign-reviewers", url_name="assign")
    def assign_reviewers(self, request, slug=None):
        """Assign the panel to the submitted applications, balanced, never a reviewer with a
        declared conflict or from the applicant company; again tops up to the number asked."""
        call = self.get_object()
        reviews = services.reviewers_assign(call=call, actor=request.user)
        body = ReviewAssignmentSerializer(
            reviews, many=True, context=self.get_serializer_context()
        ).data
        return Response(body)

    @extend_schema(request=None, responses=RankedApplicationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def ranking(self, request, slug=None):
        """The call's applications ranked by weighted score, with the spread between
        reviewers and the reviews still missing (center staff)."""
        call = self.get_object()
        rows = selectors.ranked_applications(call)
        return Response(RankedApplicationSerializer(rows, many=True).data)


# Applications ---------------------------------------------------------------------------------

APPLICATION_SAVE_EXAMPLE = OpenApiExample(
    "Answer the questions",
    value={
        "summary": "Edge inference boards for rail inspection.",
        "answers": {"12": "We build inspection cameras.", "13": "Three pilots in Wuhan."},
    },
    request_only=True,
)


@extend_schema_view(
    create=extend_schema(
        request=ApplicationStartSerializer,
        responses={201: ApplicationSerializer},
        examples=[
            OpenApiExample(
                "Start", value={"call": "cohort-2026-autumn", "company": 12}, request_only=True
            )
        ],
    ),
    partial_update=extend_schema(
        request=ApplicationSaveSerializer,
        responses=ApplicationSerializer,
        examples=[APPLICATION_SAVE_EXAMPLE],
    ),
)
@extend_schema(tags=["programs"])
class ApplicationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Applications: an applicant company's people see their own, a reviewer those assigned
    to them, center staff all. The company edits until the deadline; staff decide. Reviews
    and scores are not part of an application: see /reviews/ (never the applicant's)."""

    model = Application
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "submitted_at", "status"]
    ordering = ["call", "company__legal_name", "id"]
    write_rules = {
        "create": may_apply,
        "partial_update": applicant,
        "submit": applicant,
        "withdraw": applicant,
        "attachments": applicant,
        "decide": staff,
    }
    get_serializer_class = serializer_for(
        {
            "create": ApplicationStartSerializer,
            "partial_update": ApplicationSaveSerializer,
            "submit": ApplicationSaveSerializer,
            "decide": ApplicationDecideSerializer,
            "attachments": AttachmentUploadSerializer,
        },
        ApplicationSerializer,
    )

    def related_queryset(self):
        return Application.objects.select_related("call", "company").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("question")),
            "attachments",
        )

    def create(self, request):
        data = self.validated_input()
        application = services.application_start(
            call=data["call"], company=data["company"], actor=request.user
        )
        return self.write_response(application, status_code=status.HTTP_201_CREATED)

    def _save(self, *, submit: bool) -> Response:
        application = self.get_object()  # scope and role first: a refused caller sees no 400
        data = self.validated_input(ApplicationSaveSerializer)
        application = services.application_save(
            application=application, actor=self.request.user, submit=submit, **data
        )
        return self.write_response(application)

    def partial_update(self, request, pk=None):
        """Save answers, the summary or the hours asked for (until the deadline)."""
        return self._save(submit=False)

    @extend_schema(
        request=ApplicationSaveSerializer,
        responses=ApplicationSerializer,
        examples=[APPLICATION_SAVE_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Save what is sent (if anything) and submit: every required question answered and,
        for a compute grant, the hours asked for."""
        return self._save(submit=True)

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw the application; it stays on record."""
        application = services.application_withdraw(
            application=self.get_object(), actor=request.user
        )
        return self.write_response(application)

    @extend_schema(
        request=ApplicationDecideSerializer,
        responses=ApplicationSerializer,
        examples=[
            OpenApiExample("Accept", value={"accept": True}, request_only=True),
            OpenApiExample(
                "Reject",
                value={"accept": False, "feedback": "The market case needs pilots first."},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Accept (an incubation cohort: the company is admitted and its first engagement
        starts; a compute grant: an allocation within the capacity rules) or reject with
        feedback. The company is told by e-mail and in the portal."""
        application = self.get_object()
        data = self.validated_input(ApplicationDecideSerializer)
        application = services.application_decide(
            application=application, actor=request.user, **data
        )
        return self.write_response(application)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Attach a file (multipart `file`); its type and size are checked, it is stored
        privately and downloaded only through the site by those who may read the application."""
        application = self.get_object()
        upload = self.validated_input(AttachmentUploadSerializer)["file"]
        attachment = services.attachment_add(
            application=application, actor=request.user, upload=upload
        )
        body = AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)
