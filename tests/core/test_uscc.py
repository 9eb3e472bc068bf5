import pytest
from django.core.exceptions import ValidationError

from innovation_center.core.uscc import check_character, validate_uscc

# Published codes of real companies (from their business licences).
REAL_CODES = [
    "914403001922038216",
    "91330100799655058B",
    "91110000802100433B",
    "91440300708461136T",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_codes(code):
    validate_uscc(code)


def test_it_computes_the_published_check_character():
    assert check_character("91110000802100433") == "B"


def test_it_refuses_a_wrong_check_digit_and_says_so():
    code = REAL_CODES[1][:-1] + "C"
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)
    assert error.value.code == "uscc_check_digit"
    assert "check digit" in error.value.messages[0]
    assert "“B”" in error.value.messages[0]


def test_it_refuses_the_wrong_length():
    with pytest.raises(ValidationError) as error:
        validate_uscc("9142010")
    assert error.value.code == "uscc_length"
    assert "7" in error.value.messages[0]


def test_it_refuses_letters_outside_the_alphabet():
    with pytest.raises(ValidationError) as error:
        validate_uscc("9144030019220382O6")
    assert error.value.code == "uscc_character"
    assert "“O”" in error.value.messages[0]


def test_it_accepts_lowercase_and_spaces_as_typed():
    validate_uscc(" 91110000802100433b ")
