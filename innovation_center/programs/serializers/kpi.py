"""Half-yearly KPI reports with their funding rounds, and the incubator criteria's standing."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from innovation_center.accounts.access import scoped_queryset
from innovation_center.core.numbers import PlainDecimalSerializerField, PlainIntegerSerializerField
from innovation_center.ecosystem.models import Company
from innovation_center.programs import selectors
from innovation_center.programs.models import FundingRound, KpiReport
from innovation_center.programs.serializers.calls import COMPANY_NOT_YOURS, COUNT_MAX

MONEY = {"max_digits": 16, "decimal_places": 2}
YEAR_RANGE = {"min_value": 2000, "max_value": 2100}


class FundingRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingRound
        fields = ["round", "amount", "investors"]
        read_only_fields = fields


class KpiReportSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    funding = FundingRoundSerializer(many=True, read_only=True)
    submitted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = KpiReport
        fields = [
            "id",
            "company",
            "company_name",
            "year",
            "half",
            "revenue",
            "employees",
            "patents_filed",
            "patents_granted",
            "copyrights_filed",
            "copyrights_granted",
            "high_tech_enterprise",
            "products_launched",
            "acquired_or_listed",
            "funding",
            "submitted_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FundingRoundInputSerializer(serializers.Serializer):
    round = serializers.ChoiceField(choices=FundingRound.Round.choices)
    amount = PlainDecimalSerializerField(**MONEY, min_value=Decimal("0.01"))
    investors = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def count_field(**kwargs):
    return PlainIntegerSerializerField(min_value=0, max_value=COUNT_MAX, **kwargs)


class KpiReportSaveSerializer(serializers.Serializer):
    """One half-year's figures; a second report for the same half replaces the first."""

    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),
        required=False,
        help_text=_("The company reporting; may be left out when you belong to one."),
        error_messages=COMPANY_NOT_YOURS,
    )
    year = PlainIntegerSerializerField(**YEAR_RANGE)
    half = serializers.ChoiceField(choices=KpiReport.Half.choices)
    revenue = PlainDecimalSerializerField(**MONEY, min_value=0)
    employees = count_field()
    patents_filed = count_field()
    patents_granted = count_field()
    copyrights_filed = count_field()
    copyrights_granted = count_field()
    high_tech_enterprise = serializers.BooleanField()
    products_launched = count_field()
    acquired_or_listed = serializers.BooleanField(required=False, default=False)
    funding = FundingRoundInputSerializer(many=True, required=False, default=list)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["company"].queryset = scoped_queryset(request.user, Company)

    def validate(self, attrs):
        if not attrs.get("company"):
            # Left out: the caller's own company, when they belong to one (staff name it).
            request = self.context.get("request")
            own = selectors.member_companies(user=request.user) if request else None
            companies = list(own[:2]) if own is not None else []
            if len(companies) != 1:
                raise serializers.ValidationError({"company": [_("Choose which company reports.")]})
            attrs["company"] = companies[0]
        return attrs


# The national incubator criteria --------------------------------------------------------------


class StandingSourceSerializer(serializers.Serializer):
    article = serializers.CharField(help_text=_("The article of the measures (第九条…)."))
    original = serializers.CharField(help_text=_("The rule's Chinese text as published."))
    english = serializers.CharField(help_text=_("An English rendering of the rule."))
    # str(source): the measures' name, the article and its text, quoted.
    quotation = serializers.CharField(
        source="*", help_text=_("The measures' name, the article and its text, quoted.")
    )


class StandingSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    source = StandingSourceSerializer(
        help_text=_("Where the criterion comes from: 国科发区〔2018〕300号.")
    )
    value = serializers.DecimalField(max_digits=20, decimal_places=2)
    threshold = serializers.DecimalField(max_digits=20, decimal_places=2)
    unit = serializers.CharField()
    met = serializers.BooleanField()
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    either_group = serializers.CharField(
        help_text=_("Criteria sharing a group are alternatives: meeting one suffices.")
    )
    note = serializers.CharField()
    company_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("The companies behind the figure.")
    )
