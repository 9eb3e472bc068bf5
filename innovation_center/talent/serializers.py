from django.db.models import Manager
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from innovation_center.accounts.access import scoped_queryset
from innovation_center.core.numbers import plain_number_field_mapping
from innovation_center.ecosystem.models import Company
from innovation_center.talent.models import Course, CrowdTask, Internship, Program, University
from innovation_center.talent.selectors import coordinator_universities
from innovation_center.talent.services import (
    COURSE_EDITABLE,
    CROWDTASK_EDITABLE,
    INTERNSHIP_EDITABLE,
)


class UniversitySerializer(serializers.ModelSerializer):
    class Meta:
        model = University
        fields = ["id", "name", "short_name", "city", "created_at", "updated_at"]
        read_only_fields = fields


class ProgramSerializer(serializers.ModelSerializer):
    class Meta:
        model = Program
        fields = ["id", "name", "kind", "year", "description"]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    university_name = serializers.CharField(source="university.name", read_only=True)
    teachers = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    semester = serializers.CharField(read_only=True)
    logged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "university",
            "university_name",
            "program",
            "title",
            "year",
            "term",
            "semester",
            "teachers",
            "students_enrolled",
            "hours",
            "logged_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CrowdTaskSerializer(serializers.ModelSerializer):
    university_name = serializers.CharField(source="university.name", read_only=True)
    artifact_url = serializers.CharField(read_only=True, help_text=_("Empty until delivered."))

    class Meta:
        model = CrowdTask
        fields = [
            "id",
            "university",
            "university_name",
            *CROWDTASK_EDITABLE,
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InternshipListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, Manager) else data)
        self.child.visible_hosts = _visible_companies(self.context, rows)
        return super().to_representation(rows)


def _visible_companies(context, rows) -> set[int]:
    """The host companies of `rows` the caller may see, in one query."""
    request = context.get("request")
    ids = {row.host_company_id for row in rows if row.host_company_id}
    if request is None or not ids:
        return set()
    companies = scoped_queryset(request.user, Company).filter(pk__in=ids)
    return set(companies.values_list("pk", flat=True))


class InternshipSerializer(serializers.ModelSerializer):
    university_name = serializers.CharField(source="university.name", read_only=True)
    # A host written as a center company's exact legal name is linked to it (the company then
    # sees the internship), but the link is shown only to those who may see that company:
    # otherwise a coordinator could try legal names and learn which companies exist.
    host_company = serializers.SerializerMethodField(
        help_text=_("The linked host company's id, when you may see that company; else null.")
    )
    visible_hosts: set[int] | None = None

    class Meta:
        model = Internship
        fields = [
            "id",
            "university",
            "university_name",
            "host_company",
            *INTERNSHIP_EDITABLE,
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = InternshipListSerializer

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_host_company(self, internship: Internship) -> int | None:
        if internship.host_company_id is None:
            return None
        visible = self.visible_hosts
        if visible is None:
            visible = _visible_companies(self.context, [internship])
        return internship.host_company_id if internship.host_company_id in visible else None


class UniversityRowWriteSerializer(serializers.ModelSerializer):
    """Input of a university's row: the university is one the caller coordinates."""

    program_kind: str = ""
    serializer_field_mapping = plain_number_field_mapping(
        serializers.ModelSerializer.serializer_field_mapping
    )
    university = serializers.PrimaryKeyRelatedField(
        queryset=University.objects.none(),
        required=False,
        help_text=_("One of the universities you coordinate; may be left out if you have one."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if "university" in self.fields:
            self.fields["university"].queryset = (
                coordinator_universities(user=request.user)
                if request
                else University.objects.none()
            )
        if "program" in self.fields:
            self.fields["program"].queryset = Program.objects.filter(kind=self.program_kind)

    def validate(self, attrs):
        if self.instance is None and "university" in self.fields and not attrs.get("university"):
            universities = list(self.fields["university"].queryset[:2])
            if len(universities) != 1:
                raise serializers.ValidationError(
                    {"university": [_("Choose which of your universities this is for.")]}
                )
            attrs["university"] = universities[0]
        return attrs


class CourseWriteSerializer(UniversityRowWriteSerializer):
    program_kind = Program.Kind.COURSE
    teachers = serializers.ListField(
        child=serializers.CharField(max_length=100),
        allow_empty=False,
        help_text=_("The teachers' names."),
    )

    class Meta:
        model = Course
        fields = ["university", *COURSE_EDITABLE, "teachers"]
        # Uniqueness per semester is the service's to check, with the university it decides.
        validators: list = []


class CourseUpdateSerializer(CourseWriteSerializer):
    class Meta(CourseWriteSerializer.Meta):
        fields = [*COURSE_EDITABLE, "teachers"]


class CrowdTaskWriteSerializer(UniversityRowWriteSerializer):
    program_kind = Program.Kind.CROWD

    class Meta:
        model = CrowdTask
        fields = ["university", *CROWDTASK_EDITABLE]
        validators: list = []


class CrowdTaskUpdateSerializer(CrowdTaskWriteSerializer):
    class Meta(CrowdTaskWriteSerializer.Meta):
        fields = list(CROWDTASK_EDITABLE)


class InternshipWriteSerializer(UniversityRowWriteSerializer):
    program_kind = Program.Kind.INTERNSHIP

    class Meta:
        model = Internship
        fields = ["university", *INTERNSHIP_EDITABLE]
        validators: list = []


class InternshipUpdateSerializer(InternshipWriteSerializer):
    class Meta(InternshipWriteSerializer.Meta):
        fields = list(INTERNSHIP_EDITABLE)
