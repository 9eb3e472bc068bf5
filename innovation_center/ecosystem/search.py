"""Suggestions for the company search fields (core.forms.SearchChoiceField): a small JSON
list of the companies the caller may see whose name contains what they typed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse

from innovation_center.accounts.access import scoped_queryset
from innovation_center.core.text import strip_control_characters
from innovation_center.ecosystem.models import Company

SUGGESTIONS = 20


@login_required
def company_search(request: HttpRequest) -> JsonResponse:
    text = strip_control_characters(request.GET.get("q", "")).strip()[:100]
    companies = scoped_queryset(request.user, Company).filter(is_center_account=False)
    if text:
        companies = companies.filter(legal_name__icontains=text)
    rows = companies.order_by("legal_name").values_list("pk", "legal_name")[:SUGGESTIONS]
    return JsonResponse({"results": [{"id": pk, "label": f"{name} (#{pk})"} for pk, name in rows]})
