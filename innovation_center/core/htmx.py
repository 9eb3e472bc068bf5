"""The same view serves the whole page or only the fragment htmx asked for (django-htmx)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def page_or_fragment(
    request: HttpRequest, *, page: str, fragment: str, context: dict
) -> HttpResponse:
    """`fragment` for an htmx request, `page` (which includes the fragment) otherwise, so every
    link and form still works without JavaScript."""
    return render(request, fragment if request.htmx else page, context)
