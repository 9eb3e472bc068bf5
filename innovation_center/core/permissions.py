"""Role checks shared by pages and the API; row visibility itself is `core.scoping`."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from innovation_center.accounts.models import Membership
from innovation_center.core.scoping import viewer_for

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


def is_coordinator_of(user, university) -> bool:
    return viewer_for(user).role_in(university.organisation_id) == Membership.Role.COORDINATOR


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
