"""Reads of the people side: the audit history of anything, within the reader's scope."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from innovation_center.accounts.access import scoped_queryset
from innovation_center.accounts.models import AuditEvent, Invitation, Membership


def audit_history(*, user, objects: list[Model]) -> QuerySet[AuditEvent]:
    """History rows of the objects (e.g. an allocation and its requests) that `user` may read,
    newest first; the one reader every page's history comes from."""
    condition = Q(pk__in=[])
    for obj in objects:
        condition |= Q(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))
    return scoped_queryset(
        user, AuditEvent, AuditEvent.objects.filter(condition).select_related("actor")
    )


def has_owner(organisation) -> bool:
    """Whether a company has someone who can sign in for it and invite the others."""
    return Membership.objects.filter(
        organisation=organisation, role=Membership.Role.COMPANY_OWNER
    ).exists()


def people_history(*, user, organisation) -> QuerySet[AuditEvent]:
    """Who was invited, joined, changed role, was removed or left, newest first (also for
    memberships that no longer exist)."""
    types = ContentType.objects.get_for_models(Membership, Invitation).values()
    return scoped_queryset(
        user,
        AuditEvent,
        AuditEvent.objects.filter(organisation=organisation, content_type__in=types).select_related(
            "actor"
        ),
    )
