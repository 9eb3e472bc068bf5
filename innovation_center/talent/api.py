"""Universities, programs, courses, crowd tasks and internships.

Coordinators write their own university's rows (the same services as the coordinator pages);
staff read everything; companies read the internships they host.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets

from innovation_center.accounts.access import is_coordinator_of
from innovation_center.accounts.api_access import ScopedViewSetMixin
from innovation_center.core.api import serializer_for
from innovation_center.talent import services
from innovation_center.talent.filters import (
    CourseFilter,
    CrowdTaskFilter,
    InternshipFilter,
    ProgramFilter,
)
from innovation_center.talent.models import Course, CrowdTask, Internship, Program, University
from innovation_center.talent.selectors import coordinator_universities
from innovation_center.talent.serializers import (
    CourseSerializer,
    CourseUpdateSerializer,
    CourseWriteSerializer,
    CrowdTaskSerializer,
    CrowdTaskUpdateSerializer,
    CrowdTaskWriteSerializer,
    InternshipSerializer,
    InternshipUpdateSerializer,
    InternshipWriteSerializer,
    ProgramSerializer,
    UniversitySerializer,
)


def coordinates_any(user) -> bool:
    return coordinator_universities(user=user).exists()


def coordinates_row(user, row) -> bool:
    return is_coordinator_of(user, row.university)


COORDINATOR_WRITES = {
    "create": coordinates_any,
    "update": coordinates_row,
    "partial_update": coordinates_row,
}


@extend_schema(tags=["talent"])
class UniversityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Universities: staff see all, a coordinator their own."""

    model = University
    serializer_class = UniversitySerializer
    filterset_fields = ["city"]
    ordering_fields = ["name", "city"]
    ordering = ["name"]


@extend_schema(tags=["talent"])
class ProgramViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The center's talent programs (a catalogue every signed-in user reads)."""

    model = Program
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter
    ordering_fields = ["year", "name"]
    ordering = ["-year", "name"]


class UniversityRowViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    write_rules = COORDINATOR_WRITES
    create_service = None
    update_service = None
    update_argument = ""

    def create(self, request):
        row = type(self).create_service(actor=request.user, **self.validated_input())
        return self.write_response(row, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        row = self.get_object()
        data = self.validated_input(instance=row, partial=partial)
        row = type(self).update_service(
            actor=request.user, data=data, **{self.update_argument: row}
        )
        return self.write_response(row)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


@extend_schema_view(
    create=extend_schema(
        request=CourseWriteSerializer,
        responses={201: CourseSerializer},
        examples=[
            OpenApiExample(
                "Log a course",
                value={
                    "program": 3,
                    "title": "Deep learning on Ascend",
                    "year": 2026,
                    "term": "spring",
                    "teachers": ["王老师", "李老师"],
                    "students_enrolled": 120,
                    "hours": 48,
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(request=CourseUpdateSerializer, responses=CourseSerializer),
    partial_update=extend_schema(request=CourseUpdateSerializer, responses=CourseSerializer),
)
@extend_schema(tags=["talent"])
class CourseViewSet(UniversityRowViewSet):
    """Courses: coordinators log their university's; staff read all."""

    model = Course
    filterset_class = CourseFilter
    ordering_fields = ["year", "title", "students_enrolled", "hours", "created_at"]
    ordering = ["-year", "university__name", "title", "id"]
    create_service = services.course_create
    update_service = services.course_update
    update_argument = "course"
    get_serializer_class = serializer_for(
        {
            "create": CourseWriteSerializer,
            "update": CourseUpdateSerializer,
            "partial_update": CourseUpdateSerializer,
        },
        CourseSerializer,
    )

    def related_queryset(self):
        return Course.objects.select_related("university", "logged_by").prefetch_related("teachers")


@extend_schema_view(
    create=extend_schema(
        request=CrowdTaskWriteSerializer,
        responses={201: CrowdTaskSerializer},
        examples=[
            OpenApiExample(
                "Report a task",
                value={
                    "program": 4,
                    "kind": "operator",
                    "title": "Deformable convolution operator",
                    "team": "HUST vision lab",
                    "status": "in_progress",
                    "artifact_url": "",
                    "delivered_on": None,
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(request=CrowdTaskUpdateSerializer, responses=CrowdTaskSerializer),
    partial_update=extend_schema(request=CrowdTaskUpdateSerializer, responses=CrowdTaskSerializer),
)
@extend_schema(tags=["talent"])
class CrowdTaskViewSet(UniversityRowViewSet):
    """Crowd-development tasks (operators, models, applications) of university teams."""

    model = CrowdTask
    filterset_class = CrowdTaskFilter
    ordering_fields = ["title", "kind", "status", "delivered_on", "created_at"]
    ordering = ["university__name", "kind", "title", "id"]
    create_service = services.crowdtask_create
    update_service = services.crowdtask_update
    update_argument = "task"
    get_serializer_class = serializer_for(
        {
            "create": CrowdTaskWriteSerializer,
            "update": CrowdTaskUpdateSerializer,
            "partial_update": CrowdTaskUpdateSerializer,
        },
        CrowdTaskSerializer,
    )

    def related_queryset(self):
        return CrowdTask.objects.select_related("university")


@extend_schema_view(
    create=extend_schema(request=InternshipWriteSerializer, responses={201: InternshipSerializer}),
    update=extend_schema(request=InternshipUpdateSerializer, responses=InternshipSerializer),
    partial_update=extend_schema(
        request=InternshipUpdateSerializer, responses=InternshipSerializer
    ),
)
@extend_schema(tags=["talent"])
class InternshipViewSet(UniversityRowViewSet):
    """Internships: the university's coordinators write them; host companies read theirs."""

    model = Internship
    filterset_class = InternshipFilter
    ordering_fields = ["starts_on", "ends_on", "student_count"]
    ordering = ["-starts_on", "id"]
    create_service = services.internship_create
    update_service = services.internship_update
    update_argument = "internship"
    get_serializer_class = serializer_for(
        {
            "create": InternshipWriteSerializer,
            "update": InternshipUpdateSerializer,
            "partial_update": InternshipUpdateSerializer,
        },
        InternshipSerializer,
    )

    def related_queryset(self):
        return Internship.objects.select_related("university")
