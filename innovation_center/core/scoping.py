"""How a model declares who may see its rows: the `Scope` of each model.

The declaration lives here, with the base pieces every app's models use; the mechanism that
turns (user, model) into a queryset is `accounts.access.scoped_queryset`, where the people
and their roles are. A model without a declaration is an error (`core.checks`), so a new
model cannot be exposed unscoped by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q


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
    # When set, company members and coordinators see the rows only of organisations where
    # their role is one of these (e.g. invitations: owners, not every member).
    roles: frozenset[str] | None = None
