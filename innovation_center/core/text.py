"""Text the center keeps: no control characters, refused at input and stripped from files.

A control character (Unicode category Cc, NUL included) is invisible, PostgreSQL refuses NUL,
and openpyxl refuses the rest, so one stored `\\u000b` would break every later XLSX export of
its list. Tab, line feed and carriage return are ordinary text and stay. Surrogates and the
non-characters U+FFFE/U+FFFF are refused and stripped as well: no XML file, so no XLSX, may
contain them, and a lone surrogate cannot be encoded for the database.

Every form and API text field refuses them through one hook, `install_field_validators`,
run from `CoreConfig.ready()`; the import flow (`core.imports`) checks each cell with
`control_character_message`; the exports (`core.exports`) strip them with
`strip_control_characters`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Cc without tab, line feed and carriage return; then surrogates and U+FFFE/U+FFFF.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def control_character_message(text: str) -> str | None:
    """What is wrong with the first refused character of `text` and how to fix it, or None."""
    found = _REFUSED.search(text)
    if found is None:
        return None
    char = found.group()
    values = {"code": f"U+{ord(char):04X}", "position": found.start() + 1}
    if unicodedata.category(char) == "Cc":
        return (
            _(
                "Remove the control character (%(code)s) at position %(position)d; only "
                "letters, digits, punctuation, spaces and line breaks are accepted."
            )
            % values
        )
    return (
        _(
            "Remove the invalid character (%(code)s) at position %(position)d; only letters, "
            "digits, punctuation, spaces and line breaks are accepted."
        )
        % values
    )


def strip_control_characters(text: str) -> str:
    """`text` without the characters the forms, the API and the imports refuse."""
    return _REFUSED.sub("", text)


def _refusing_control_characters(field_class: type, error_class: type[Exception]) -> None:
    original = field_class.run_validators
    if getattr(original, "refuses_control_characters", False):
        return

    @functools.wraps(original)
    def run_validators(self, value):
        if isinstance(value, str):
            message = control_character_message(value)
            if message is not None:
                # Before the field's own validators: Django's NUL check would say it again.
                raise error_class(message, code="control_character")
        return original(self, value)

    run_validators.refuses_control_characters = True
    field_class.run_validators = run_validators


def install_field_validators() -> None:
    """Make every text field of every form and serializer refuse control characters.

    Why this hook: the project has no base form or serializer (ModelForms, the admin, DRF's
    ModelSerializers and django-filter build their fields themselves), so the one place
    every text field passes through is `run_validators` of Django's `forms.CharField` and
    DRF's `serializers.CharField`, inherited by every subclass (e-mail, URL, slug …). It is
    wrapped at call time, not added to each field's `validators` when the field is built,
    because form classes imported before this app is ready (the admin's and django.contrib.
    auth's, loaded by the admin's autodiscovery) would otherwise keep fields without it.
    """
    # Imported here: the exports and imports that use this module need neither framework.
    from django import forms
    from rest_framework import serializers

    _refusing_control_characters(forms.CharField, ValidationError)
    _refusing_control_characters(serializers.CharField, serializers.ValidationError)
