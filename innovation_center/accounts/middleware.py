from django.conf import settings
from django.utils import translation

from innovation_center.accounts.signals import SESSION_LANGUAGE


class PreferredLanguageMiddleware:
    """After sign-in, pages are in the language of the person's profile (or the one they last
    picked in the menu, which updates the profile); before it, LocaleMiddleware decides."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        session = getattr(request, "session", None)
        language = session.get(SESSION_LANGUAGE) if session is not None else None
        if language in self.languages:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
