"""What the API shows of calls and applications, and what it takes to write them.

Reads show each bilingual text in both languages and in the request's language
(`*_in_language`). Input serializers check shape only; programs.services enforces the rules
and answers with the same messages as the pages. An application's serializer never carries
reviews or scores: the applicant never sees them.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from innovation_center.accounts.access import is_center_staff, scoped_queryset
from innovation_center.compute.models import AcceleratorType, Site
from innovation_center.core.numbers import PlainDecimalSerializerField, PlainIntegerSerializerField
from innovation_center.ecosystem.models import Company
from innovation_center.programs import selectors
from innovation_center.programs.models import (
    Answer,
    Application,
    Attachment,
    Call,
    Criterion,
    Question,
    Review,
)

HOURS = {"max_digits": 12, "decimal_places": 2}
# Bounds of the database columns, so an absurd figure is a 400 and never a database error.
COUNT_MAX = 2_147_483_647


# An id of a company the caller may not name gets the message of an id that exists nowhere.
COMPANY_NOT_YOURS = {
    "does_not_exist": _("No company you can choose has this id: use the id of one in your lists.")
}


def in_language_field(field: str) -> serializers.SerializerMethodField:
    return serializers.SerializerMethodField(
        method_name=f"get_{field}_in_language",
        help_text=_("The text in the request's language (the other one when it is empty)."),
    )


class BilingualMixin:
    """`<field>_in_language` for each name in `Meta.bilingual`, from the model's in_language."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for field in getattr(cls.Meta, "bilingual", ()):
            method = extend_schema_field(OpenApiTypes.STR)(
                lambda self, obj, field=field: obj.in_language(field)
            )
            setattr(cls, f"get_{field}_in_language", method)


# Calls ----------------------------------------------------------------------------------------


class QuestionSerializer(BilingualMixin, serializers.ModelSerializer):
    text_in_language = in_language_field("text")

    class Meta:
        model = Question
        bilingual = ["text"]
        fields = ["id", "order", "text", "text_zh", "text_in_language", "required", "max_length"]
        read_only_fields = fields


class CriterionSerializer(BilingualMixin, serializers.ModelSerializer):
    name_in_language = in_language_field("name")
    description_in_language = in_language_field("description")

    class Meta:
        model = Criterion
        bilingual = ["name", "description"]
        fields = [
            "id",
            "order",
            "name",
            "name_zh",
            "name_in_language",
            "description",
            "description_zh",
            "description_in_language",
            "weight",
        ]
        read_only_fields = fields


class CallSerializer(BilingualMixin, serializers.ModelSerializer):
    title_in_language = in_language_field("title")
    text_in_language = in_language_field("text")
    eligibility_in_language = in_language_field("eligibility")
    questions = QuestionSerializer(many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    panel = serializers.SerializerMethodField(
        help_text=_("Ids of the panel's reviewers; shown to center staff only (else empty).")
    )

    class Meta:
        model = Call
        bilingual = ["title", "text", "eligibility"]
        fields = [
            "id",
            "slug",
            "kind",
            "title",
            "title_zh",
            "title_in_language",
            "text",
            "text_zh",
            "text_in_language",
            "eligibility",
            "eligibility_zh",
            "eligibility_in_language",
            "opens_on",
            "closes_at",
            "is_published",
            "hours_pool",
            "accelerator_type",
            "site",
            "grant_starts_on",
            "grant_ends_on",
            "reviews_per_application",
            "questions",
            "criteria",
            "panel",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_panel(self, call) -> list[int]:
        request = self.context.get("request")
        if request is None or not is_center_staff(request.user):
            return []
        return sorted(user.pk for user in call.panel.all())


class QuestionInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("On a change: the question to change.")
    )
    text = serializers.CharField(max_length=500)
    text_zh = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    required = serializers.BooleanField(required=False, default=True)
    max_length = PlainIntegerSerializerField(
        min_value=1, max_value=100_000, required=False, default=4000
    )


class CriterionInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("On a change: the criterion to change.")
    )
    name = serializers.CharField(max_length=200)
    name_zh = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    description_zh = serializers.CharField(required=False, allow_blank=True, default="")
    weight = PlainDecimalSerializerField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), required=False, default=1
    )


def panel_candidates():
    return get_user_model().objects.filter(is_active=True)


# Named like the read shape: the schema's request body is "CallRequest" (and the kind's enum
# one "CallKindEnum"), as for a model serializer that reads and writes.
@extend_schema_serializer(component_name="Call")
class CallWriteSerializer(serializers.Serializer):
    """A call as staff write it: the texts, dates, the rubric, the questions and the panel."""

    kind = serializers.ChoiceField(choices=Call.Kind.choices)
    slug = serializers.SlugField(max_length=80)
    title = serializers.CharField(max_length=200)
    title_zh = serializers.CharField(max_length=200, required=False, allow_blank=True)
    text = serializers.CharField()
    text_zh = serializers.CharField(required=False, allow_blank=True)
    eligibility = serializers.CharField(required=False, allow_blank=True)
    eligibility_zh = serializers.CharField(required=False, allow_blank=True)
    opens_on = serializers.DateField()
    closes_at = serializers.DateTimeField()
    hours_pool = PlainDecimalSerializerField(
        **HOURS,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text=_("Compute-grant calls: the pool of accelerator-hours the grants come from."),
    )
    accelerator_type = serializers.PrimaryKeyRelatedField(
        queryset=AcceleratorType.objects.all(), required=False, allow_null=True
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True
    )
    grant_starts_on = serializers.DateField(required=False, allow_null=True)
    grant_ends_on = serializers.DateField(required=False, allow_null=True)
    reviews_per_application = PlainIntegerSerializerField(min_value=1, max_value=20, required=False)
    questions = QuestionInputSerializer(many=True, required=False)
    criteria = CriterionInputSerializer(many=True, required=False)
    panel = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=panel_candidates(),
        required=False,
        help_text=_("Ids of the users who review the call's applications."),
    )


class CallPublishSerializer(serializers.Serializer):
    published = serializers.BooleanField(
        default=True, help_text=_("True publishes the call, false takes it back to a draft.")
    )


class RankedApplicationSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    application = serializers.IntegerField(source="application.pk")
    company = serializers.IntegerField(source="application.company_id")
    company_name = serializers.CharField(source="application.company.legal_name")
    # A plain string here: the choices are documented once, on the application.
    status = serializers.CharField(source="application.status")
    weighted_score = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        allow_null=True,
        help_text=_("The mean over submitted reviews of Σ weight × score / Σ weight (1–5)."),
    )
    spread = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        allow_null=True,
        help_text=_("Highest minus lowest reviewer's weighted score."),
    )
    missing = serializers.IntegerField(help_text=_("Reviews assigned but not submitted yet."))
    submitted_reviews = serializers.IntegerField()
    assigned_reviews = serializers.IntegerField()


class ReviewAssignmentSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "application", "reviewer", "submitted_at"]
        read_only_fields = fields


# Applications ---------------------------------------------------------------------------------


def attachment_download_url(attachment, request) -> str:
    """The scoped page that sends the file; never the storage's own URL."""
    path = reverse("programs:attachment_download", args=[attachment.pk])
    return request.build_absolute_uri(path) if request is not None else path


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField(
        help_text=_("Downloads through the site, for the people who may read the application.")
    )

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "download_url", "created_at"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return attachment_download_url(attachment, self.context.get("request"))


class AnswerSerializer(serializers.ModelSerializer):
    question_text = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = ["question", "question_text", "text"]
        read_only_fields = fields

    def get_question_text(self, answer) -> str:
        return answer.question.in_language("text")


class ApplicationSerializer(serializers.ModelSerializer):
    call = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    call_title = serializers.SerializerMethodField()
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "call_title",
            "company",
            "company_name",
            "status",
            "summary",
            "requested_hours",
            "requested_device_cap",
            "answers",
            "attachments",
            "submitted_at",
            "decided_at",
            "feedback",
            "engagement",
            "allocation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_call_title(self, application) -> str:
        return application.call.in_language("title")


class ApplicationStartSerializer(serializers.Serializer):
    call = serializers.SlugRelatedField(
        slug_field="slug", queryset=Call.objects.none(), help_text=_("The call's short name.")
    )
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),
        required=False,
        help_text=_("Your company; may be left out when you belong to one."),
        error_messages=COMPANY_NOT_YOURS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["call"].queryset = scoped_queryset(request.user, Call)
            self.fields["company"].queryset = selectors.member_companies(user=request.user)

    def validate(self, attrs):
        if not attrs.get("company"):
            companies = list(self.fields["company"].queryset[:2])
            if len(companies) != 1:
                raise serializers.ValidationError(
                    {"company": [_("Choose which of your companies applies.")]}
                )
            attrs["company"] = companies[0]
        return attrs


class AnswersField(serializers.DictField):
    """{question id: answer}; the keys of a JSON object are strings, read as ids here."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(allow_blank=True), **kwargs)

    def to_internal_value(self, data):
        answers = super().to_internal_value(data)
        parsed = {}
        for key, text in answers.items():
            if not str(key).isascii() or not str(key).isdigit():
                raise serializers.ValidationError(
                    _('Name each question by its id (a whole number), e.g. {"12": "..."}.')
                )
            parsed[int(key)] = text
        return parsed


class ApplicationSaveSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True)
    answers = AnswersField(
        required=False, help_text=_('Answers by question id: {"12": "Our answer"}.')
    )
    requested_hours = PlainDecimalSerializerField(
        **HOURS,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("Compute-grant calls: the accelerator-hours asked for."),
    )
    requested_device_cap = PlainIntegerSerializerField(
        min_value=1, max_value=COUNT_MAX, required=False, allow_null=True
    )


class ApplicationDecideSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text=_("True accepts, false rejects."))
    feedback = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("What the applicant reads; needed to reject."),
    )
    hours = PlainDecimalSerializerField(
        **HOURS,
        required=False,
        allow_null=True,
        help_text=_("Compute grants: hours to grant (the hours asked for when left out)."),
    )
    device_cap = PlainIntegerSerializerField(
        min_value=1, max_value=COUNT_MAX, required=False, allow_null=True
    )
    overcommit_reason = serializers.CharField(required=False, allow_blank=True, default="")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The file; its type and size are checked."))
