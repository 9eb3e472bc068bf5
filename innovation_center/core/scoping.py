"""Who sees what: the one mechanism that turns (user, model) into a queryset.

Every page, API endpoint, export and search asks `scoped_queryset(user, Model)`; nothing
else filters by organisation. Each model declares a `Scope` as its `scope` attribute: the
lookups from its rows to the owning company's or university's `Organisation`, and rows or
whole catalogues that every signed-in user may read. A model without a declaration is an
error, so a new model cannot be exposed unscoped by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Scope:
    # Lookup from the model to accounts.Organisation for company members / coordinators.
    company: str | None = None
    university: str | None = None
    # Lookup to the owning user, for personal rows such as API tokens.
    user: str | None = None
    # Rows every signed-in user may read (e.g. built-in data sets).
    shared: Q | None = None
    # The whole table is a catalogue every signed-in user may read (sites, device types).
    catalogue: bool = False
    # Lookups that cross a many-to-many relation need DISTINCT.
    distinct: bool = False


@dataclass
class Viewer:
    """What a user's memberships entitle them to, computed once per request."""

    user_id: int | None
    is_center_staff: bool = False
    roles: dict[int, str] = field(default_factory=dict)  # organisation id -> role
    company_org_ids: frozenset[int] = frozenset()
    university_org_ids: frozenset[int] = frozenset()

    @property
    def is_company_member(self) -> bool:
        return bool(self.company_org_ids)

    @property
    def is_coordinator(self) -> bool:
        return bool(self.university_org_ids)

    def role_in(self, organisation_id: int) -> str | None:
        return self.roles.get(organisation_id)


def viewer_for(user) -> Viewer:
    """The user's entitlements; cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Viewer(user_id=None)
    cached = getattr(user, "_ic_viewer", None)
    if cached is not None:
        return cached
    from innovation_center.accounts.models import Membership, Organisation

    memberships = list(
        Membership.objects.filter(user_id=user.pk).values_list(
            "organisation_id", "organisation__kind", "role"
        )
    )
    roles = {org_id: role for org_id, _kind, role in memberships}
    viewer = Viewer(
        user_id=user.pk,
        is_center_staff=user.is_superuser
        or any(kind == Organisation.Kind.CENTER for _o, kind, _r in memberships),
        roles=roles,
        company_org_ids=frozenset(
            o for o, kind, _r in memberships if kind == Organisation.Kind.COMPANY
        ),
        university_org_ids=frozenset(
            o for o, kind, _r in memberships if kind == Organisation.Kind.UNIVERSITY
        ),
    )
    user._ic_viewer = viewer
    return viewer


def scope_of(model: type[Model]) -> Scope:
    scope = getattr(model, "scope", None)
    if not isinstance(scope, Scope):
        raise ImproperlyConfigured(
            f"{model._meta.label} declares no Scope; add `scope = Scope(...)` to the model."
        )
    return scope


def scoped_queryset(user, model: type[Model], queryset: QuerySet | None = None) -> QuerySet:
    """The rows of `model` that `user` may see (center staff: all; others: their own)."""
    scope = scope_of(model)
    qs = queryset if queryset is not None else model._default_manager.all()
    viewer = viewer_for(user)
    if viewer.user_id is None:
        return qs.none()
    if viewer.is_center_staff or scope.catalogue:
        return qs
    condition = Q(pk__in=[])
    if scope.company and viewer.company_org_ids:
        condition |= Q(**{f"{scope.company}__in": viewer.company_org_ids})
    if scope.university and viewer.university_org_ids:
        condition |= Q(**{f"{scope.university}__in": viewer.university_org_ids})
    if scope.user:
        condition |= Q(**{scope.user: viewer.user_id})
    if scope.shared is not None:
        condition |= scope.shared
    qs = qs.filter(condition)
    return qs.distinct() if scope.distinct else qs


def get_scoped_or_404(user, model: type[Model], queryset: QuerySet | None = None, **lookup):
    """One row the user may see, else 404: a row outside the scope looks like no row."""
    try:
        return scoped_queryset(user, model, queryset).get(**lookup)
    except model.DoesNotExist:
        raise Http404(
            _("No %(name)s matches the given query.") % {"name": model._meta.verbose_name}
        ) from None
