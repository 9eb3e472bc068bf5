"""API token authentication: `Authorization: Bearer <key>` (or `Token <key>`).

Only the SHA-256 of a key is stored (`ApiToken.key_hash`); the key itself is shown once, when
the token is issued. A revoked token, or one whose user is inactive, authenticates no one.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from innovation_center.accounts.models import ApiToken
from innovation_center.core import clock

KEYWORDS = (b"bearer", b"token")
# `last_used_at` is written at most this often: one UPDATE a minute, not one per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    """Hashes the presented key and looks the hash up; refuses revoked tokens."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: give the key after “Bearer ”, with no spaces.")
            )
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        _touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # A challenge makes unauthenticated requests 401 (not 403), as HTTP intends.
        return 'Bearer realm="api"'


def _touch(token: ApiToken) -> None:
    now = clock.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION),
        pk=token.pk,
    ).update(last_used_at=now)
