"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

18 characters from a 31-symbol alphabet (digits and capitals without I, O, S, V, Z); the
last is a check character: 31 - (sum of value × weight over the first 17 mod 31), where 31
maps to 0.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first17: str) -> str:
    total = sum(
        ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "")


def validate_uscc(value: str) -> None:
    """Raise ValidationError saying exactly what is wrong with the code."""
    code = normalise(value)
    if len(code) != LENGTH:
        raise ValidationError(
            _(
                "A unified social credit code has 18 characters; this one has %(count)d. "
                "Copy it again from the business licence."
            )
            % {"count": len(code)},
            code="uscc_length",
        )
    bad = [char for char in code if char not in ALPHABET]
    if bad:
        raise ValidationError(
            _(
                "“%(char)s” cannot appear in a unified social credit code (allowed: digits and "
                "capital letters except I, O, S, V and Z)."
            )
            % {"char": bad[0]},
            code="uscc_character",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check digit of this unified social credit code is wrong: the 18th "
                "character is “%(found)s” but the first 17 give “%(expected)s”. Look for a "
                "mistyped character."
            )
            % {"found": code[17], "expected": expected},
            code="uscc_check_digit",
        )
