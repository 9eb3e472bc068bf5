"""Small helpers every page uses with its forms and list filters."""

from __future__ import annotations

from django.http import HttpRequest

from innovation_center.core.errors import ApplicationError

# Parameters of a list page that are not filters: dropped from the links that keep filters.
NOT_FILTERS = ("page", "format")


def apply_service_errors(form, error: ApplicationError) -> None:
    """A service's messages next to the fields they name, and its general message above the
    form unless it only repeats them."""
    placed = []
    for name, field_messages in error.field_errors.items():
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
                placed.append(str(message))
    if error.message not in placed and error.message != " ".join(placed):
        form.add_error(None, error.message)


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without paging, format and the given parameters."""
    params = request.GET.copy()
    for name in (*NOT_FILTERS, *names):
        params.pop(name, None)
    return params.urlencode()


def form_filters(form) -> dict:
    """The cleaned filter values of a list form ('' for what is empty or invalid)."""
    form.is_valid()
    return {name: form.cleaned_data.get(name) or "" for name in form.fields}
