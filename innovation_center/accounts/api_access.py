"""The API's half of access: viewsets whose rows are the caller's scope, role permissions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response

from innovation_center.accounts.access import is_center_staff, scoped_queryset
from innovation_center.accounts.models import IdempotencyKey
from innovation_center.core.api import ApiPagination
from innovation_center.core.errors import ApplicationError


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = gettext_lazy(
        "This Idempotency-Key was already used for a different request. Send a new key with "
        "a new request; repeat the first request unchanged to get its answer again."
    )


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description=(
        "Any unique string up to 200 characters (a UUID). A retry with the same key and the "
        "same body gets the first answer again (header `Idempotent-Replayed: true`) instead of "
        "creating a second one; the same key with another body is refused (422). Kept 24 h."
    ),
)

# Permissions ---------------------------------------------------------------------------------

Rule = Callable[..., bool]


class RolePermission(permissions.IsAuthenticated):
    """Reads for every signed-in user (rows are scoped); writes by `view.write_rules`.

    `write_rules` maps an action to a rule: `rule(user)` for actions without an object
    (create, estimate), `rule(user, obj)` for actions on one row. An object rule runs after
    the row was found in the caller's scope, so a row outside it is a 404, never a 403.
    """

    message = gettext_lazy("Your role does not allow this.")

    def _rule(self, view) -> Rule | None:
        return getattr(view, "write_rules", {}).get(view.action)

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if view.action is None or view.action in getattr(view, "read_actions", ()):
            return True  # no action: the method is not allowed here (405)
        if view.detail:
            return True  # decided on the object, once it is known to be in scope
        rule = self._rule(view)
        return bool(rule and rule(request.user))

    def has_object_permission(self, request, view, obj) -> bool:
        if view.action in getattr(view, "read_actions", ()):
            return True
        rule = self._rule(view)
        return bool(rule and rule(request.user, obj))


class CenterStaffPermission(permissions.IsAuthenticated):
    """Center staff only, like the staff pages."""

    message = gettext_lazy("Only center staff may see this.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and is_center_staff(request.user)


class ScopedViewSetMixin:
    """A viewset over one model whose rows are exactly `scoped_queryset(user, model)`."""

    model = None
    pagination_class = ApiPagination
    permission_classes = [RolePermission]
    read_actions = ("list", "retrieve")
    write_rules: dict[str, Rule] = {}
    lookup_value_regex = r"\d+"

    def related_queryset(self):
        """The model's rows with what the serializer reads (select/prefetch)."""
        return self.model._default_manager.all()

    def get_queryset(self):
        return scoped_queryset(self.request.user, self.model, self.related_queryset())

    def write_response(self, instance, *, status_code=status.HTTP_200_OK) -> Response:
        """The row as the read serializer shows it, freshly loaded through the scope."""
        fresh = self.get_queryset().get(pk=instance.pk)
        serializer = self.get_serializer_class_for("retrieve")(
            fresh, context=self.get_serializer_context()
        )
        return Response(serializer.data, status=status_code)

    def created_once(self, create: Callable[[], object]) -> Response:
        """201 with the row `create()` made, made once per `Idempotency-Key` header.

        The key is taken (a unique row) before the work and stored with the answer in the
        same transaction: a concurrent retry waits for the first, then replays its answer; a
        failed first attempt leaves no key, so the retry does the work. The answer is read
        inside the transaction, so a connection lost after the commit cannot fail it.
        """
        key = self.request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 200 or not key.isprintable():
            raise ApplicationError(
                _("The Idempotency-Key header must be at most 200 printable characters."),
                code="idempotency_key_invalid",
            )
        with transaction.atomic():
            record = self._idempotency_claim(key) if key else None
            if record is not None and record.status_code:
                replay = Response(record.body, status=record.status_code)
                replay["Idempotent-Replayed"] = "true"
                return replay
            response = self.write_response(create(), status_code=status.HTTP_201_CREATED)
            if record is not None:
                record.status_code, record.body = response.status_code, response.data
                record.save(update_fields=["status_code", "body"])
        return response

    def _idempotency_claim(self, key: str) -> IdempotencyKey:
        body = json.dumps(self.request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
        fingerprint = hashlib.sha256(
            f"{self.request.method} {self.request.path}\n{body}".encode()
        ).hexdigest()
        user = self.request.user
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
        except IntegrityError:
            record = IdempotencyKey.objects.get(user=user, key=key)
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return record

    def validated_input(self, serializer_class=None, *, instance=None, partial=False) -> dict:
        """The request body checked by `serializer_class` (default: the action's serializer);
        a 400 with the field errors when it is not valid."""
        if serializer_class is None:
            serializer = self.get_serializer(instance, data=self.request.data, partial=partial)
        else:
            serializer = serializer_class(
                data=self.request.data, context=self.get_serializer_context()
            )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def get_serializer_class_for(self, action: str):
        previous, self.action = self.action, action
        try:
            return self.get_serializer_class()
        finally:
            self.action = previous
