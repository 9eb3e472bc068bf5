"""How a person's name is shown: the one helper every page, history row, export and e-mail uses.

Chinese (and other CJK) names read surname first with no space (王磊); others read given
name first (Ada Lovelace). A person with no name on record is shown by their username.
"""

from __future__ import annotations

import unicodedata


def _is_cjk(text: str) -> bool:
    for char in text:
        name = unicodedata.name(char, "")
        if name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL")):
            return True
    return False


def compose_name(*, given: str, family: str) -> str:
    given, family = (given or "").strip(), (family or "").strip()
    if _is_cjk(given + family):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def display_name(user) -> str:
    """The name to show for `user` (a User, or None for the system)."""
    if user is None:
        return ""
    return compose_name(given=user.first_name, family=user.last_name) or user.get_username()
