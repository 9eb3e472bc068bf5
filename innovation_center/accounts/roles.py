"""The roles an organisation's members may hold, and the organisation's row lock taken by every
change to its members (accounts.people)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.core.errors import ApplicationError


def _lock_organisation(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def allowed_roles(organisation: Organisation) -> list[str]:
    """The roles a person can hold in this organisation, in the order of the role list."""
    allowed = Membership.ROLES_BY_KIND[organisation.kind]
    return [value for value, _label in Membership.Role.choices if value in allowed]


def _check_role(organisation: Organisation, role: str) -> None:
    if role not in allowed_roles(organisation):
        raise ApplicationError(
            _(
                "A %(kind)s cannot have members with the role “%(role)s”; "
                "choose one of: %(allowed)s."
            )
            % {
                "kind": organisation.get_kind_display(),
                "role": role,
                "allowed": ", ".join(
                    str(Membership.Role(r).label) for r in allowed_roles(organisation)
                ),
            },
            field_errors={"role": [_("Choose one of the roles offered.")]},
        )
