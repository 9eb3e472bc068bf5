"""Tokens (issue one with a username and password, list and revoke your own); the people of
an organisation (members, invitations) and your own notifications, by the same rules as the
people pages."""

import django_filters
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from innovation_center.accounts import people
from innovation_center.accounts.access import (
    can_manage_people,
    is_center_staff,
    is_coordinator,
    is_owner_of_any_company,
    scoped_queryset,
)
from innovation_center.accounts.api_access import RolePermission, ScopedViewSetMixin
from innovation_center.accounts.authentication import lockout_message, lockout_minutes
from innovation_center.accounts.models import ApiToken, Invitation, Membership, Notification
from innovation_center.accounts.serializers import (
    ApiTokenSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    IssuedTokenSerializer,
    MembershipRoleSerializer,
    MembershipSerializer,
    NotificationSerializer,
    NotificationsReadSerializer,
    TokenRequestSerializer,
)
from innovation_center.accounts.services import api_token_issue, api_token_revoke
from innovation_center.core.api import (
    ApiPagination,
    FailedLoginThrottle,
    LoginThrottled,
    serializer_for,
)
from innovation_center.core.errors import ApplicationError


class TokenIssueView(APIView):
    """Exchange a username and password for a new API token (the key is shown once)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    documents_throttling = True

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={201: IssuedTokenSerializer},
        auth=[],
        examples=[
            OpenApiExample(
                "Sign in",
                value={"username": "alice", "password": "correct horse", "name": "CI pipeline"},
                request_only=True,
            ),
            OpenApiExample(
                "A new token",
                value={
                    "id": 7,
                    "name": "CI pipeline",
                    "prefix": "Zx3f9QaB",
                    "created_at": "2026-03-01T09:30:00+08:00",
                    "last_used_at": None,
                    "revoked_at": None,
                    "revoked": False,
                    "key": "Zx3f9QaB…the rest of the key, shown only now",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request):
        throttle = FailedLoginThrottle()
        if not throttle.allow_request(request, self):
            raise LoginThrottled(wait=throttle.wait())
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            # This account or address failed too often (accounts.authentication): the same
            # lockout as the login pages, whatever the password was.
            raise LoginThrottled(detail=lockout_message(), wait=lockout_minutes() * 60)
        if user is None or not user.is_active:
            throttle.record_failure()
            raise ApplicationError(
                str(_("The username or password is not correct.")), code="invalid_credentials"
            )
        token, key = api_token_issue(user=user, name=data.get("name", ""))
        token.key = key  # in this response only; the row keeps the hash
        body = IssuedTokenSerializer(token).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"])
class TokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own API tokens; DELETE revokes one (another user's token is a 404)."""

    queryset = ApiToken.objects.none()  # the model, for the schema; rows: get_queryset
    serializer_class = ApiTokenSerializer
    pagination_class = ApiPagination
    lookup_value_regex = r"\d+"
    ordering_fields = ["created_at", "last_used_at", "name"]

    def get_queryset(self):
        # Staff see every row of the table in the admin; here a token is only its owner's.
        return scoped_queryset(self.request.user, ApiToken).filter(user=self.request.user)

    def perform_destroy(self, instance):
        api_token_revoke(token=instance)


# People --------------------------------------------------------------------------------------


def manages_people_somewhere(user) -> bool:
    """Who may invite at all (staff, company owners, coordinators); whether they manage the
    organisation they name is checked once it is known."""
    return is_center_staff(user) or is_owner_of_any_company(user) or is_coordinator(user)


def manages_people_of(user, row) -> bool:
    return can_manage_people(user, row.organisation)


def manages_or_leaves(user, membership) -> bool:
    # Anyone may leave an organisation; removing someone else is for its managers.
    return membership.user_id == user.pk or can_manage_people(user, membership.organisation)


def signed_in(user, obj=None) -> bool:
    return True  # the rows are the caller's own: get_queryset holds no one else's


class MembershipFilter(django_filters.FilterSet):
    # A number, not a choice of every organisation: an unknown one and another company's
    # answer alike (an empty page).
    organisation = django_filters.NumberFilter(
        field_name="organisation", label=_("Organisation id")
    )

    class Meta:
        model = Membership
        fields = ["organisation", "role"]


class InvitationFilter(django_filters.FilterSet):
    organisation = django_filters.NumberFilter(
        field_name="organisation", label=_("Organisation id")
    )

    class Meta:
        model = Invitation
        fields = ["organisation", "role"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at",
        lookup_expr="isnull",
        label=_("Only unread (true) or only read (false)"),
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


@extend_schema(tags=["people"])
class MembershipViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The members of your organisations; their managers change roles and remove them, and
    anyone may leave (DELETE their own membership)."""

    model = Membership
    filterset_class = MembershipFilter
    ordering_fields = ["created_at", "role"]
    ordering = ["organisation__name", "role", "user__username", "id"]
    write_rules = {"partial_update": manages_people_of, "destroy": manages_or_leaves}
    get_serializer_class = serializer_for(
        {"partial_update": MembershipRoleSerializer}, MembershipSerializer
    )

    def related_queryset(self):
        return Membership.objects.select_related("organisation", "user")

    @extend_schema(
        request=MembershipRoleSerializer,
        responses=MembershipSerializer,
        examples=[
            OpenApiExample("Make an owner", value={"role": "company_owner"}, request_only=True)
        ],
    )
    def partial_update(self, request, pk=None):
        """Change the member's role (a company always keeps an owner)."""
        membership = self.get_object()
        role = self.validated_input(MembershipRoleSerializer)["role"]
        membership = people.membership_change_role(
            actor=request.user, membership=membership, role=role
        )
        return self.write_response(membership)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Remove the member, or leave; their sessions end and their API tokens stop at once."""
        people.membership_remove(actor=request.user, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["people"])
class InvitationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Invitations of the organisations whose people you manage (others see none)."""

    model = Invitation
    filterset_class = InvitationFilter
    ordering_fields = ["created_at", "expires_at", "email"]
    ordering = ["-created_at", "-id"]
    write_rules = {
        "create": manages_people_somewhere,
        "resend": manages_people_of,
        "destroy": manages_people_of,
    }
    get_serializer_class = serializer_for(
        {"create": InvitationCreateSerializer}, InvitationSerializer
    )

    def related_queryset(self):
        return Invitation.objects.select_related("organisation", "invited_by")

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        examples=[
            OpenApiExample(
                "Invite a colleague",
                value={
                    "organisation": 12,
                    "email": "li.na@example.com",
                    "role": "company_member",
                    "language": "zh-hans",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        """Invite an e-mail address; the link is e-mailed (or notified) and works once."""
        data = self.validated_input(InvitationCreateSerializer)
        if not can_manage_people(request.user, data["organisation"]):
            self.permission_denied(request, message=RolePermission.message)
        invitation = people.invitation_create(actor=request.user, **data)
        return self.write_response(invitation, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """Send again with a new link (the old one stops working) and a new expiry."""
        invitation = people.invitation_resend(actor=request.user, invitation=self.get_object())
        return self.write_response(invitation)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Revoke: the link stops working; the row stays, as revoked."""
        people.invitation_revoke(actor=request.user, invitation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["people"])
class NotificationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Your own notifications (another person's is a 404, for staff too)."""

    model = Notification
    queryset = Notification.objects.none()  # the model, for the schema; rows: get_queryset
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    write_rules = {"read": signed_in, "read_all": signed_in}

    def get_queryset(self):
        # Staff see every row of a personal table in the admin; here a message is its reader's.
        return super().get_queryset().filter(user=self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notification read (once: a second call keeps the first time)."""
        notification = self.get_object()
        people.notifications_mark_read(notifications=self.get_queryset().filter(pk=notification.pk))
        return self.write_response(notification)

    @extend_schema(request=None, responses=NotificationsReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark all your unread notifications read; returns how many."""
        count = people.notifications_mark_read(notifications=self.get_queryset())
        return Response(NotificationsReadSerializer({"count": count}).data)


# Registered on import (this module is imported by the URL conf, before any schema).
class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "innovation_center.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _("A key from POST /api/v1/auth/token/, sent as `Authorization: Bearer <key>`.")
            ),
        }
