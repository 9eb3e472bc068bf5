from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from innovation_center.core import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One landing page; what it shows depends on the user's role, through the selectors."""
    return render(request, "core/home.html", selectors.home_summary(user=request.user))


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    # For load balancers and `make run`'s readiness wait: the database answers.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
