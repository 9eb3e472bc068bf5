"""Single sign-on through OpenID Connect, on top of mozilla-django-oidc.

The library runs the protocol (state, nonce, token exchange, signature check against the
provider's keys); this module decides who may sign in and as whom: a verified e-mail
address, matched to one active account or made into a new one, which then joins every
organisation that invited that address.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from innovation_center.accounts.people import invitations_accept_for_email, unique_username

logger = logging.getLogger(__name__)


def _claimed_email(claims: dict) -> str:
    return str(claims.get("email") or "").strip()


class CenterOIDCBackend(OIDCAuthenticationBackend):
    """Signs in the person the provider vouches for, by their e-mail address."""

    def authenticate(self, request, **kwargs):
        # Only the callback view's call (it always passes a nonce) is ours: the password
        # form's call goes through every backend and must never reach the provider.
        if "nonce" not in kwargs:
            return None
        user = super().authenticate(request, **kwargs)
        if user is None:
            return None
        if not self.user_can_authenticate(user):
            logger.warning("SSO refused: the account %s is deactivated", user.get_username())
            return None
        invitations_accept_for_email(user=user)
        return user

    def verify_claims(self, claims):
        email = _claimed_email(claims)
        if not email:
            logger.warning("SSO refused: the provider sent no e-mail address")
            return False
        try:
            validate_email(email)
        except ValidationError:
            logger.warning("SSO refused: %r is not an e-mail address", email)
            return False
        # Some providers (AWS Cognito) send the flag as the string "true".
        if "email_verified" in claims and claims["email_verified"] not in (True, "true"):
            logger.warning("SSO refused: the provider has not verified %s", email)
            return False
        return True

    def filter_users_by_claims(self, claims):
        email = _claimed_email(claims)
        same_email = self.UserModel.objects.filter(email__iexact=email)
        active = same_email.filter(is_active=True)
        count = active.count()
        if count > 1:
            logger.warning(
                "SSO refused: %d active accounts have the e-mail %s; keep one of them",
                count,
                email,
            )
        if count:
            return active
        # Only deactivated accounts: they are returned (and refused in `authenticate`) so
        # that a deactivated person cannot come back as a new account.
        return same_email

    def create_user(self, claims):
        email = _claimed_email(claims)
        user = self.UserModel.objects.create_user(
            unique_username(email),
            email=email,
            password=None,  # an unusable password: this person signs in through SSO
            first_name=str(claims.get("given_name") or "").strip()[:150],
            last_name=str(claims.get("family_name") or "").strip()[:150],
        )
        logger.info("SSO created the account %s", user.get_username())
        return user

    def get_user(self, user_id):
        # The library's get_user skips the is_active check ModelBackend makes on every request.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class CenterOIDCCallbackView(OIDCAuthenticationCallbackView):
    """The library's callback, telling the person why they are back on the login page."""

    def login_failure(self):
        messages.error(
            self.request,
            _(
                "Single sign-on did not sign you in. Your organisation's account needs a "
                "verified e-mail address, and a deactivated account cannot sign in. Try "
                "again, sign in with your password, or ask the center's staff."
            ),
        )
        # The setting is a URL name, like LOGIN_URL; the library would redirect to it as is.
        return redirect(self.failure_url)


def sso_only(view):
    """`view` answers 404 while single sign-on is off (the library's views would fail on
    the missing provider settings)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404(_("Single sign-on is not configured."))
        return view(request, *args, **kwargs)

    return wrapped
