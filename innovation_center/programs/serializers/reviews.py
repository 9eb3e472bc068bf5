"""Reviews with their scores (the reviewer's and the center's), conflicts of interest."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from innovation_center.accounts.access import is_center_staff
from innovation_center.core.numbers import PlainIntegerSerializerField
from innovation_center.ecosystem.models import Company
from innovation_center.programs import selectors
from innovation_center.programs.models import Application, ConflictOfInterest, Review, Score
from innovation_center.programs.serializers.calls import (
    COMPANY_NOT_YOURS,
    AnswerSerializer,
    AttachmentSerializer,
    CriterionSerializer,
)


class ScoreSerializer(serializers.ModelSerializer):
    criterion_name = serializers.SerializerMethodField()

    class Meta:
        model = Score
        fields = ["criterion", "criterion_name", "value"]
        read_only_fields = fields

    def get_criterion_name(self, score) -> str:
        return score.criterion.in_language("name")


class ReviewApplicationSerializer(serializers.ModelSerializer):
    """What a reviewer reads of the application: the answers and the files, no one's scores."""

    call = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    # A plain string here: the choices are documented once, on the application.
    status = serializers.CharField(read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "company",
            "company_name",
            "status",
            "summary",
            "requested_hours",
            "requested_device_cap",
            "answers",
            "attachments",
            "submitted_at",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    application = ReviewApplicationSerializer(read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True, source="application.call.criteria")
    scores = ScoreSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "reviewer",
            "application",
            "criteria",
            "scores",
            "comments",
            "submitted_at",
            "created_at",
        ]
        read_only_fields = fields


class ScoresField(serializers.DictField):
    """{criterion id: 1..5}; keys are strings in JSON, read as ids here."""

    def __init__(self, **kwargs):
        super().__init__(child=PlainIntegerSerializerField(min_value=1, max_value=5), **kwargs)

    def to_internal_value(self, data):
        scores = super().to_internal_value(data)
        parsed = {}
        for key, value in scores.items():
            if not str(key).isascii() or not str(key).isdigit():
                raise serializers.ValidationError(
                    _('Name each criterion by its id (a whole number), e.g. {"3": 4}.')
                )
            parsed[int(key)] = value
        return parsed


class ReviewSubmitSerializer(serializers.Serializer):
    scores = ScoresField(help_text=_('A score from 1 to 5 for every criterion: {"3": 4}.'))
    comments = serializers.CharField(required=False, allow_blank=True, default="")


class ConflictSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)

    class Meta:
        model = ConflictOfInterest
        fields = ["id", "company", "company_name", "reason", "created_at"]
        read_only_fields = fields


def declarable_companies(user):
    """The companies a reviewer may name: center staff any; a panel member those applying to
    the calls of their panels (they see no other companies)."""
    if is_center_staff(user):
        return Company.objects.all()
    return selectors.conflict_candidates(user=user)


class ConflictDeclareSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(), error_messages=COMPANY_NOT_YOURS
    )
    reason = serializers.CharField(max_length=300, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["company"].queryset = declarable_companies(request.user)
