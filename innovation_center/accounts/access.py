"""Who sees what and who may do what: the one mechanism every page, endpoint and export uses.

`scoped_queryset(user, Model)` is the only place that filters rows by tenant, from each
model's declared `Scope` (core.scoping); a row outside the caller's scope is a 404. The role
predicates below are the only place that says which role may do what; views, the API's
write rules and templates all ask them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.core.scoping import Scope


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
    company_orgs, university_orgs = viewer.company_org_ids, viewer.university_org_ids
    if scope.roles is not None:
        company_orgs = {o for o in company_orgs if viewer.role_in(o) in scope.roles}
        university_orgs = {o for o in university_orgs if viewer.role_in(o) in scope.roles}
    if scope.company and company_orgs:
        condition |= Q(**{f"{scope.company}__in": company_orgs})
    if scope.university and university_orgs:
        condition |= Q(**{f"{scope.university}__in": university_orgs})
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


# Roles --------------------------------------------------------------------------------------

REVIEW_ROLES = {Membership.Role.CENTER_ADMIN, Membership.Role.CENTER_REVIEWER}
OPERATE_ROLES = {Membership.Role.CENTER_ADMIN, Membership.Role.CENTER_OPERATOR}


def is_center_staff(user) -> bool:
    return viewer_for(user).is_center_staff


def has_center_role(user, roles: set[str]) -> bool:
    viewer = viewer_for(user)
    if user.is_superuser:
        return True
    return viewer.is_center_staff and bool(set(viewer.roles.values()) & roles)


def can_review_compute(user) -> bool:
    return has_center_role(user, REVIEW_ROLES)


def can_operate_devices(user) -> bool:
    return has_center_role(user, OPERATE_ROLES)


def company_role(user, company) -> str | None:
    """The user's role in the company, or None when they are not a member."""
    return viewer_for(user).role_in(company.organisation_id)


def is_company_owner(user, company) -> bool:
    return company_role(user, company) == Membership.Role.COMPANY_OWNER


def is_company_person(user) -> bool:
    """A member (owner or not) of at least one company."""
    return viewer_for(user).is_company_member


def is_coordinator(user) -> bool:
    """A coordinator of at least one university."""
    return Membership.Role.COORDINATOR in viewer_for(user).roles.values()


def is_staff_or_company_person(user) -> bool:
    viewer = viewer_for(user)
    return viewer.is_center_staff or viewer.is_company_member


def is_staff_or_coordinator(user) -> bool:
    viewer = viewer_for(user)
    return viewer.is_center_staff or viewer.is_coordinator


def is_owner_of_any_company(user) -> bool:
    return Membership.Role.COMPANY_OWNER in viewer_for(user).roles.values()


def is_member_of(user, company) -> bool:
    """Owner or member of this company (center staff are neither)."""
    return company_role(user, company) in (
        Membership.Role.COMPANY_OWNER,
        Membership.Role.COMPANY_MEMBER,
    )


def sees_several_companies(user) -> bool:
    """Whether lists should name the company of each row (staff, or people of two companies)."""
    viewer = viewer_for(user)
    return viewer.is_center_staff or len(viewer.company_org_ids) > 1


def is_coordinator_of(user, university) -> bool:
    return viewer_for(user).role_in(university.organisation_id) == Membership.Role.COORDINATOR


def can_manage_people(user, organisation) -> bool:
    """Who invites, re-roles and removes people: center staff for companies and universities
    (center administrators for the center), a company's owners, a university's coordinators."""
    viewer = viewer_for(user)
    if organisation.kind == Organisation.Kind.CENTER:
        return has_center_role(user, {Membership.Role.CENTER_ADMIN})
    if viewer.is_center_staff:
        return True
    return viewer.role_in(organisation.pk) in (
        Membership.Role.COMPANY_OWNER,
        Membership.Role.COORDINATOR,
    )


def staff_required(view):
    """Center staff only; others get 403 (the page exists, but not for them)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_center_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def role_required(predicate):
    """Decorate a view so only users for whom `predicate(user)` holds may use it."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


staff_or_company_required = role_required(is_staff_or_company_person)
company_required = role_required(is_company_person)
staff_or_coordinator_required = role_required(is_staff_or_coordinator)
coordinator_required = role_required(is_coordinator)
