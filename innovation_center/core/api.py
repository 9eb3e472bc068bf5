"""Shared pieces of the REST API: scoped viewsets, role permissions, errors, pages, throttles.

Who sees which rows is `core.scoping` and nothing else: every viewset's queryset is
`scoped_queryset(request.user, Model)`, so a row outside the caller's scope is a 404. Who may
*write* is the role checks of `core.permissions`, the same the pages use, declared per action
on each viewset (`write_rules`). Services raise `ApplicationError`; the one exception handler
here turns it, and every DRF error, into a stable body: field → messages, or
`{"detail": ..., "code": ...}`.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from innovation_center.core.errors import ApplicationError
from innovation_center.core.middleware import client_address

# Service error codes that mean "not your role" rather than "invalid input".
FORBIDDEN_CODES = {"forbidden"}
NON_FIELD_KEY = "non_field_errors"


# Errors --------------------------------------------------------------------------------------


def _field_errors(error: ApplicationError) -> dict[str, list[str]]:
    body: dict[str, list[str]] = {}
    for field, messages in error.field_errors.items():
        if isinstance(messages, str):
            messages = [messages]
        body.setdefault(field or NON_FIELD_KEY, []).extend(str(m) for m in messages)
    return body


def exception_handler(exc, context) -> Response | None:
    """Every API error as `{"detail", "code"}`, or field → messages for invalid input."""
    if isinstance(exc, ApplicationError):
        if exc.code in FORBIDDEN_CODES:
            return Response(
                {"detail": exc.message, "code": "permission_denied"},
                status=status.HTTP_403_FORBIDDEN,
            )
        if exc.field_errors:
            return Response(_field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.message, "code": exc.code}, status=400)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses the body before a parser reads it; answered like any API error.
        return Response(
            {"detail": _body_too_large_message(), "code": "request_too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, list):
            # A validation error not tied to a field: one message, like any other error.
            codes = exc.get_codes()
            code = codes[0] if isinstance(codes, list) and codes else "invalid"
            response.data = {"detail": " ".join(str(m) for m in data), "code": str(code)}
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, dict | list):
        response.data = detail
        return response
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"detail": str(detail), "code": str(code)}
    return response


def _body_too_large_message() -> str:
    return _(
        "The request body is too large: at most %(limit)d bytes are accepted without a file. "
        "Send less at once."
    ) % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}


@csrf_exempt  # a 404 for every method; there is nothing to protect
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown URLs under /api/v1/ answer like every API error, not with an HTML page."""
    return JsonResponse(
        {
            "detail": _("There is no such API endpoint. API URLs end with a slash."),
            "code": "not_found",
        },
        status=404,
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error that is not about particular input fields."""

    detail = serializers.CharField(help_text=gettext_lazy("What went wrong, in plain words."))
    code = serializers.CharField(help_text=gettext_lazy("A stable machine-readable code."))


class LoginThrottled(exceptions.Throttled):
    default_detail = gettext_lazy("Too many failed sign-in attempts.")
    extra_detail_singular = gettext_lazy("Try again in {wait} second.")
    extra_detail_plural = gettext_lazy("Try again in {wait} seconds.")


# Schema --------------------------------------------------------------------------------------

FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Invalid input: each field (or `non_field_errors`) with its messages; "
    "or `detail` and `code` when the request as a whole was refused.",
    "additionalProperties": {},
}


class ApiAutoSchema(AutoSchema):
    """Documents the error responses every operation can give, with their stable bodies."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {
            "400": FIELD_ERRORS_SCHEMA,
            "401": ErrorSerializer,
            "403": ErrorSerializer,
            "404": ErrorSerializer,
        }
        if getattr(self.view, "documents_throttling", False):
            errors["429"] = ErrorSerializer
        for code, body in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(body, code, direction=direction)
                if isinstance(body, dict):
                    responses[code]["description"] = _("Invalid input")
        return responses


# Pagination ----------------------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """Numbered pages with the total count: `count`, `next`, `previous`, `results`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_page_message = gettext_lazy("There is no such page.")


# Throttles -----------------------------------------------------------------------------------


class FailedLoginThrottle(SimpleRateThrottle):
    """At most `login` failed sign-ins per IP address and username (5 a minute).

    Checking does not count: only `record_failure()` does, so a correct password is never
    slowed down by earlier successes. The counts live in the default cache, shared by every
    web process (Redis, or the database cache). This is the short burst limit of the token
    endpoint; the lockout of every login form (django-axes, `accounts.authentication`)
    counts the same failures over a longer window.
    """

    scope = "login"

    def get_ident(self, request) -> str:
        # X-Forwarded-For counts only behind NUM_PROXIES trusted proxies: a client that writes
        # a new one per attempt is still the same address (core.middleware.client_address).
        return client_address(request) or ""

    def get_cache_key(self, request, view):
        data = request.data if hasattr(request.data, "get") else {}
        username = str(data.get("username", "")).strip().lower()[:150]
        # Hashed: any username is a safe cache key (memcached refuses spaces and control chars).
        ident = hashlib.sha256(f"{self.get_ident(request)}:{username}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def throttle_success(self):
        return True

    def record_failure(self) -> None:
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


def serializer_for(action_map: dict, default):
    """`get_serializer_class` helper: input serializers for writes, the read one otherwise."""

    def get_serializer_class(self):
        return action_map.get(getattr(self, "action", None), default)

    return get_serializer_class
