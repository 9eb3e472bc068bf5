"""The base of every API list filter: the ids a filter takes are the caller's to see.

django-filter checks a `?company=` or `?model=` id against every row of the table, so an id
of another tenant answered 200 with nothing in it while an unknown id answered 400: the
difference told which ids exist. Here every id filter (ModelChoiceFilter and its multiple
kind) chooses among the rows `scoped_queryset` gives the caller, the one scoping mechanism,
so another tenant's id and an id that exists nowhere get the same 400 with the same message.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.filters import QuerySetRequestMixin

from innovation_center.accounts.access import scoped_queryset, viewer_for
from innovation_center.core.scoping import Scope


def choices_in_scope(user, queryset: QuerySet, *, rows: QuerySet, field_name: str) -> QuerySet:
    """The rows of `queryset` an id filter may name for `user`.

    A model with its own `Scope` is scoped by it. A model without one (the people behind an
    engagement's owner) offers only the rows that `rows` — the filtered list as the caller
    sees it — already point to, which the caller reads anyway.
    """
    if isinstance(getattr(queryset.model, "scope", None), Scope):
        return scoped_queryset(user, queryset.model, queryset)
    if viewer_for(user).is_center_staff:
        return queryset
    return queryset.filter(pk__in=rows.values(field_name))


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose id filters offer only the rows the request's user may see."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        rows = scoped_queryset(user, self._meta.model)
        for id_filter in self.filters.values():
            if not isinstance(id_filter, QuerySetRequestMixin):
                continue
            choices = id_filter.queryset
            if callable(choices):
                choices = choices(request)
            if choices is None:
                continue
            id_filter.queryset = choices_in_scope(
                user, choices, rows=rows, field_name=id_filter.field_name
            )
            name = choices.model._meta.verbose_name
            message = _(
                "No %(name)s you can see has this id: use the id of one in your lists, or "
                "leave this filter out."
            ) % {"name": name}
            id_filter.extra["error_messages"] = {
                **id_filter.extra.get("error_messages", {}),
                "invalid_choice": message,
                "invalid_pk_value": message,
            }
