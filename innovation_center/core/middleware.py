"""Request plumbing every view relies on: a body-size cap, clean query strings, the client's
address.

- `RequestSizeLimitMiddleware` answers 413 to a body declared larger than the biggest upload
  (`MAX_UPLOAD_BYTES` plus room for the form's other fields), before CSRF, the forms or the
  API read a byte of it. Bodies without files are capped by Django's own
  `DATA_UPLOAD_MAX_MEMORY_SIZE`.
- `CleanQueryStringMiddleware` drops control characters (NUL included, `core.text`) from
  the names and values of the query string, so a search or filter box given `?q=%00` answers
  the page as if the character was not there: PostgreSQL refuses NUL in a query, and no
  search or filter means one.
- `client_address` is the one answer to "who is asking" for the login throttles: the peer's
  address, or, behind `NUM_PROXIES` trusted proxies, the address the outermost of them saw.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _

from innovation_center.core.text import control_character_message, strip_control_characters

# A model upload's form has a few more fields than its file (name, description, labels).
UPLOAD_FORM_OVERHEAD_BYTES = 1024 * 1024


def request_body_limit() -> int:
    return settings.MAX_UPLOAD_BYTES + UPLOAD_FORM_OVERHEAD_BYTES


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is larger than any upload may be (413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # as Django reads it: an unreadable length is an empty body
        limit = request_body_limit()
        if declared > limit:
            return _too_large(request, declared=declared, limit=limit)
        return self.get_response(request)


def _too_large(request: HttpRequest, *, declared: int, limit: int) -> HttpResponse:
    message = _(
        "The request is too large (%(declared)s MiB); at most %(limit)s MiB is accepted. "
        "Send a smaller file."
    ) % {"declared": _mebibytes(declared), "limit": _mebibytes(limit)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "request_too_large"}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def _mebibytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


class CleanQueryStringMiddleware:
    """Removes control characters from every query-string name and value (`request.GET`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("QUERY_STRING") and _holds_control_characters(request.GET):
            request.GET = _without_control_characters(request.GET)
        return self.get_response(request)


def _holds_control_characters(query: QueryDict) -> bool:
    return any(
        control_character_message(key) or any(control_character_message(v) for v in values)
        for key, values in query.lists()
    )


def _without_control_characters(query: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        for value in values:
            cleaned.appendlist(strip_control_characters(key), strip_control_characters(value))
    cleaned._mutable = False  # as Django's own request.GET
    return cleaned


def client_address(request) -> str | None:
    """The client's IP address: REMOTE_ADDR, or the one `NUM_PROXIES` proxies vouch for.

    With NUM_PROXIES = 0 (the default) X-Forwarded-For is ignored: anyone can write it, so a
    throttle keyed on it is bypassed by a new value per attempt. Behind N proxies that each
    append the address they saw, the N-th entry from the right is the one the outermost
    trusted proxy saw (as DRF's NUM_PROXIES reads it).
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]
