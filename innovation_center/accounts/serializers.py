from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from innovation_center.accounts.models import ApiToken


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=_("What the token is for, e.g. “CI pipeline”."),
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    revoked = serializers.SerializerMethodField(help_text=_("Whether the token was revoked."))

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "revoked"]
        read_only_fields = fields

    def get_revoked(self, token: ApiToken) -> bool:
        return token.revoked_at is not None


class IssuedTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        help_text=_("The key; shown once. Send it as `Authorization: Bearer <key>`.")
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields
