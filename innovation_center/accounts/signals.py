"""Sign-in bookkeeping: the sessions a person holds (so they can all be ended at once) and
the language they chose (so every page after sign-in is in it)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from innovation_center.accounts.models import LoginSession, Profile

SESSION_LANGUAGE = "ic_language"


@receiver(user_logged_in, dispatch_uid="accounts.session_recorded")
def session_recorded(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    LoginSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})
    language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if language:
        session[SESSION_LANGUAGE] = language


@receiver(user_logged_out, dispatch_uid="accounts.session_forgotten")
def session_forgotten(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        LoginSession.objects.filter(session_key=session.session_key).delete()
