"""Tokens: issue one with a username and password, list and revoke your own."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from innovation_center.accounts.access import scoped_queryset
from innovation_center.accounts.models import ApiToken
from innovation_center.accounts.serializers import (
    ApiTokenSerializer,
    IssuedTokenSerializer,
    TokenRequestSerializer,
)
from innovation_center.accounts.services import api_token_issue, api_token_revoke
from innovation_center.core.api import ApiPagination, FailedLoginThrottle, LoginThrottled
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
