"""A URLconf for the error-page tests: the site's own URLs plus views that fail on purpose."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from innovation_center.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied("Only a company owner may request compute.")


def forbidden_plain(request):
    raise PermissionDenied


def bad(request):
    raise SuspiciousOperation("malformed")


def broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("fail/403/", forbidden),
    path("fail/403-plain/", forbidden_plain),
    path("fail/400/", bad),
    path("fail/500/", broken),
    *site_urlpatterns,
]
