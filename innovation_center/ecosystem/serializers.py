from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from innovation_center.accounts.access import scoped_queryset
from innovation_center.ecosystem.forms import staff_users
from innovation_center.ecosystem.models import Company, Engagement, Solution, StageMove
from innovation_center.ecosystem.services import (
    COMPANY_EDITABLE,
    ENGAGEMENT_EDITABLE,
    SOLUTION_EDITABLE,
)


class CompanySerializer(serializers.ModelSerializer):
    # Plain strings: these may be empty, which is no valid URL or address.
    website = serializers.CharField(read_only=True)
    contact_email = serializers.CharField(read_only=True)

    class Meta:
        model = Company
        fields = [
            "id",
            *COMPANY_EDITABLE,
            "status",
            "admitted_on",
            "graduated_on",
            "exited_on",
            "exit_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CompanyWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = list(COMPANY_EDITABLE)


class CompanyExitSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=_("Why the company exited; the company reads it."))


class StageMoveSerializer(serializers.ModelSerializer):
    moved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = StageMove
        fields = ["from_stage", "to_stage", "moved_by", "moved_at", "note"]
        read_only_fields = fields


class EngagementSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    owner_username = serializers.CharField(
        source="owner.username", read_only=True, default=None, allow_null=True
    )
    moves = StageMoveSerializer(many=True, read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "company",
            "company_name",
            "title",
            "stage",
            "owner",
            "owner_username",
            "started_on",
            "target_on",
            "stage_changed_at",
            "notes",
            "moves",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EngagementWriteSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(), required=False, allow_null=True
    )

    class Meta:
        model = Engagement
        fields = list(ENGAGEMENT_EDITABLE)


class EngagementCreateSerializer(EngagementWriteSerializer):
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.none())

    class Meta(EngagementWriteSerializer.Meta):
        fields = ["company", *ENGAGEMENT_EDITABLE]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["company"].queryset = scoped_queryset(request.user, Company)


class EngagementAdvanceSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SolutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Solution
        fields = [
            "id",
            *SOLUTION_EDITABLE,
            "companies",
            "is_published",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SolutionWriteSerializer(serializers.ModelSerializer):
    companies = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Company.objects.partners(),
        help_text=_("Ids of the companies behind it."),
    )

    class Meta:
        model = Solution
        fields = [*SOLUTION_EDITABLE, "companies"]


class SolutionPublishSerializer(serializers.Serializer):
    published = serializers.BooleanField(
        default=True, help_text=_("True publishes the showcase, false withdraws it.")
    )
