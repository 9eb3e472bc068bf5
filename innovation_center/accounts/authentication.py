"""Signing in: API tokens, and the lockout of repeated failed passwords.

API tokens: `Authorization: Bearer <key>` (or `Token <key>`). Only the SHA-256 of a key is
stored (`ApiToken.key_hash`); the key itself is shown once, when the token is issued. A
revoked token, or one whose user is inactive, authenticates no one.

Lockout (django-axes, settings `LOGIN_FAILURE_LIMIT`, `LOGIN_LOCKOUT_MINUTES`): every password
sign-in (the login page, the admin's, `POST /api/v1/auth/token/`) is counted per account and
per client address in the shared cache; the limit of failures on either locks that account,
or that address, out for the cool-off time, wrong and right passwords alike. A successful
sign-in clears its account's count only (clearing the address's would let someone who owns
one account reset it between guesses at others). Single sign-on is not counted: the provider
checks the person, no password is guessed here.
"""

from __future__ import annotations

import datetime as dt

from axes.backends import AxesStandaloneBackend
from axes.handlers.cache import AxesCacheHandler
from axes.helpers import make_cache_key_list
from django.conf import settings
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext, ngettext
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


# Lockout of failed passwords (django-axes) ----------------------------------------------------


class LoginThrottleBackend(AxesStandaloneBackend):
    """First of AUTHENTICATION_BACKENDS: refuses a password sign-in while it is locked out.

    Only password sign-ins made for a request are checked: code that authenticates without a
    request (the test client's `login`) is not a visitor, and single sign-on passes no
    password (and must still work for an address that mistyped passwords).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or password is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_throttle_username(request, credentials: dict | None) -> str | None:
    """The account a sign-in is counted against: the username as typed, case-folded.

    Prefixed, so that no username can share a counter with an address ("10.0.0.1").
    """
    name = (credentials or {}).get("username")
    if name is None and request is not None:
        data = getattr(request, "data", None)
        data = data if hasattr(data, "get") else request.POST
        name = data.get("username")
    name = str(name or "").strip().lower()[:150]
    return f"user:{name}" if name else None


def _account_key(username: str) -> str:
    return make_cache_key_list(
        [{"username": login_throttle_username(None, {"username": username})}]
    )[0]


class LoginThrottleHandler(AxesCacheHandler):
    """Axes' cache handler (the shared default cache), with our rules for what counts."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if "password" not in (credentials or {}):
            return  # single sign-on failed at the provider or the callback: nothing guessed
        super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        self.cache.delete(_account_key(user.get_username()))

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        # `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS` unlock one of them.
        if ip_or_username:
            raise NotImplementedError("The cache handler resets a username or an address.")
        keys = [_account_key(username)] if username else []
        if ip_address:
            keys += make_cache_key_list([{"ip_address": ip_address}])
        if not keys:
            raise NotImplementedError("Name a username or an address to unlock.")
        return sum(1 for key in keys if self.cache.delete(key))


def lockout_minutes() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES


def lockout_message() -> str:
    minutes = lockout_minutes()
    return ngettext(
        "Too many failed login attempts: signing in is locked for %(minutes)d minute. "
        "Try again later, or reset your password.",
        "Too many failed login attempts: signing in is locked for %(minutes)d minutes. "
        "Try again later, or reset your password.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login page (ours or the admin's) answers: 429 and why."""
    return render(
        request,
        "accounts/login_locked.html",
        {"message": lockout_message(), "title": gettext("Signing in is locked")},
        status=429,
    )
