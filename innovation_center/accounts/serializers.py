from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from innovation_center.accounts.access import scoped_queryset
from innovation_center.accounts.models import (
    ApiToken,
    Invitation,
    Membership,
    Notification,
    Organisation,
)
from innovation_center.accounts.names import display_name
from innovation_center.core import clock


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


# People ------------------------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.SerializerMethodField(
        help_text=_("The person's name as the product shows it.")
    )
    email = serializers.CharField(source="user.email", read_only=True)
    last_login = serializers.DateTimeField(
        source="user.last_login",
        read_only=True,
        allow_null=True,
        help_text=_("When the person last signed in; empty when never."),
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "user",
            "username",
            "display_name",
            "email",
            "role",
            "created_at",
            "last_login",
        ]
        read_only_fields = fields

    def get_display_name(self, membership: Membership) -> str:
        return display_name(membership.user)


class MembershipRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=Membership.Role.choices,
        help_text=_("The new role; it must fit the organisation (a company: owner or member)."),
    )


INVITATION_STATES = [
    ("pending", _("Waiting to be accepted")),
    ("expired", _("Expired")),
    ("accepted", _("Accepted")),
    ("revoked", _("Revoked")),
]


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as its organisation's managers see it; the link's key is never shown."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        allow_blank=True,
        read_only=True,
        help_text=_("The language of the e-mail; empty: the product's default."),
    )
    state = serializers.SerializerMethodField(
        help_text=_("pending, expired (the link timed out), accepted or revoked.")
    )
    invited_by_name = serializers.SerializerMethodField(
        help_text=_("Who sent the invitation; empty when nobody is on record.")
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "email",
            "role",
            "language",
            "state",
            "invited_by",
            "invited_by_name",
            "created_at",
            "sent_at",
            "times_sent",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=INVITATION_STATES))
    def get_state(self, invitation: Invitation) -> str:
        return invitation.state(clock.now())

    def get_invited_by_name(self, invitation: Invitation) -> str:
        return display_name(invitation.invited_by)


class InvitationCreateSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(),
        help_text=_("The company or university the person joins; one whose people you manage."),
    )
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(
        choices=Membership.Role.choices,
        help_text=_("The role the person gets; it must fit the organisation."),
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The language of the e-mail to someone without an account yet."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Outside the caller's scope an organisation does not exist, like any other row.
            self.fields["organisation"].queryset = scoped_queryset(request.user, Organisation)


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField(help_text=_("Whether you have read it."))

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationsReadSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("How many notifications were marked read."))
