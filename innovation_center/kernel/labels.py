"""Class labels: one normal form, so a model's classes and a data set's labels compare by value."""

from __future__ import annotations

import re
from typing import Any

import numpy as np


def normalise_label(value: Any) -> Any:
    """Labels compare by value: 3, 3.0, np.int64(3) and "3" are the same class."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return value


def json_label(value: Any) -> Any:
    return value if isinstance(value, (int, float, str)) else str(value)
