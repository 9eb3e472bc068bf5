"""Small helpers every page uses with its forms and list filters, and the one form page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from innovation_center.core.errors import ApplicationError

# Parameters of a list page that are not filters: dropped from the links that keep filters.
NOT_FILTERS = ("page", "format")
OBJECT_FORM = "core/object_form.html"


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


def form_page(
    request: HttpRequest,
    *,
    form_class: type[forms.BaseForm],
    save: Callable[[Any], Any],
    title: str,
    cancel_url: str,
    success_url: str | Callable[[Any], str] | None = None,
    message: str | Callable[[Any], str] | None = None,
    instance=None,
    form_kwargs: Mapping | None = None,
    history=None,
    template: str = OBJECT_FORM,
    context: Mapping | None = None,
) -> HttpResponse:
    """The page that creates or edits one object.

    GET shows the form; a valid POST calls `save(form)` (a service call) and redirects to
    `success_url` (by default where Cancel goes) with `message` (by default "The changes
    were saved."); both may be functions of what `save` returned. A service's refusal
    (ApplicationError) is shown next to the fields it names, with a 200. `context` adds to
    what the template gets (form, title, cancel_url, history).
    """
    kwargs = dict(form_kwargs or {})
    if instance is not None:
        kwargs["instance"] = instance
    form = form_class(request.POST or None, request.FILES or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form)
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            text = message(saved) if callable(message) else message
            messages.success(request, text or _("The changes were saved."))
            url = success_url(saved) if callable(success_url) else success_url
            return redirect(url or cancel_url)
    page = {"form": form, "title": title, "cancel_url": cancel_url, "history": history}
    return render(request, template, {**(context or {}), **page})


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


class SearchInput(forms.TextInput):
    """A text box that suggests rows as one types (app.js fills its <datalist> from
    `search_url`); without JavaScript, an id or the exact name works as well."""

    input_type = "search"
    template_name = "core/widgets/search_input.html"

    def __init__(self, *, search_url: str, attrs=None):
        super().__init__(attrs)
        self.search_url = search_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = self.search_url
        context["widget"]["list_id"] = f"{context['widget']['attrs'].get('id', name)}-options"
        return context


class SearchChoiceField(forms.ModelChoiceField):
    """A choice among many rows (thousands of companies) without rendering them: the page
    sends "Name (#id)", an id, or an exact `name_field`; the row must be in `queryset` (the
    caller's scoped rows), so a foreign id is refused like an unknown one."""

    def __init__(self, queryset, *, search_url: str, name_field: str, **kwargs):
        self.name_field = name_field
        kwargs.setdefault("widget", SearchInput(search_url=search_url))
        super().__init__(queryset, **kwargs)

    def label_of(self, row) -> str:
        return f"{getattr(row, self.name_field)} (#{row.pk})"

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        key = text.rsplit("(#", 1)[-1].rstrip(")") if text.endswith(")") and "(#" in text else text
        queryset = self.queryset
        row = None
        if key.isascii() and key.isdigit():
            row = queryset.filter(pk=int(key)).first()
        if row is None:
            row = queryset.filter(**{f"{self.name_field}__iexact": text}).first()
        if row is None:
            raise forms.ValidationError(
                _("No match for “%(text)s”: type part of the name and pick a suggestion.")
                % {"text": text[:80]},
                code="invalid_choice",
            )
        return row

    def prepare_value(self, value):
        if isinstance(value, (int, str)) and str(value).isdigit():
            row = self.queryset.filter(pk=int(value)).first()
            if row is not None:
                return self.label_of(row)
        if hasattr(value, "pk"):
            return self.label_of(value)
        return value
