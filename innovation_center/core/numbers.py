"""Numbers typed by people: plain ASCII digits only, the same rule for pages and the API.

Python's `int()` and `Decimal()` read "1_000", "١٠٠" (Arabic-Indic digits), "１００"
(full-width) and "1e3"; so would every form and serializer field built on them. What reaches
a service must be what the person meant, written the one way the pages show numbers back, so
the form fields and serializer fields below refuse anything but 0–9, a sign and (for
decimals) one decimal point, with one message for both.
"""

from __future__ import annotations

import re

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+")
PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

WHOLE_NUMBER_MESSAGE = _(
    "Write a whole number with the digits 0–9 only, without spaces, underscores or "
    "thousands separators (for example 1000)."
)
DECIMAL_NUMBER_MESSAGE = _(
    "Write the number with the digits 0–9 and at most one decimal point, without spaces, "
    "underscores or thousands separators (for example 1000.5)."
)


def plain_number_problem(value, *, whole: bool):
    """The message for a typed number that is not plain digits, else None.

    Only text is checked: a JSON number or an already parsed value is a number already.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if (PLAIN_INTEGER if whole else PLAIN_DECIMAL).fullmatch(text):
        return None
    return WHOLE_NUMBER_MESSAGE if whole else DECIMAL_NUMBER_MESSAGE


# Forms ----------------------------------------------------------------------------------------


class PlainIntegerField(forms.IntegerField):
    def to_python(self, value):
        if problem := plain_number_problem(value, whole=True):
            raise forms.ValidationError(problem, code="not_plain")
        return super().to_python(value)


class PlainDecimalField(forms.DecimalField):
    def to_python(self, value):
        if problem := plain_number_problem(value, whole=False):
            raise forms.ValidationError(problem, code="not_plain")
        return super().to_python(value)


def plain_number_formfield(model_field: models.Field, **kwargs):
    """`Meta.formfield_callback` of model forms: their number fields take plain digits only."""
    if isinstance(model_field, models.IntegerField):
        kwargs.setdefault("form_class", PlainIntegerField)
    elif isinstance(model_field, models.DecimalField):
        kwargs.setdefault("form_class", PlainDecimalField)
    return model_field.formfield(**kwargs)


# Serializers ----------------------------------------------------------------------------------


class PlainIntegerSerializerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if problem := plain_number_problem(data, whole=True):
            raise serializers.ValidationError(str(problem), code="not_plain")
        return super().to_internal_value(data)


class PlainDecimalSerializerField(serializers.DecimalField):
    def to_internal_value(self, data):
        if problem := plain_number_problem(data, whole=False):
            raise serializers.ValidationError(str(problem), code="not_plain")
        return super().to_internal_value(data)


def plain_number_field_mapping(mapping: dict) -> dict:
    """A ModelSerializer's `serializer_field_mapping` with plain-digit number fields."""
    plain = dict(mapping)
    for model_field in mapping:
        if issubclass(model_field, models.IntegerField):
            plain[model_field] = PlainIntegerSerializerField
        elif issubclass(model_field, models.DecimalField):
            plain[model_field] = PlainDecimalSerializerField
    return plain
