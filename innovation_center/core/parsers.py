"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES).

Its own module: `core.api` imports drf-spectacular, which imports DRF's views, which read
the parser setting, so a parser there could not be imported while DRF loads it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

# No body of ours nests deeper than a few levels; far deeper ones only exhaust the stack.
MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a document nested more than MAX_JSON_DEPTH levels (400).

    Python's decoder recurses once per level and raises RecursionError (a 500) at about a
    thousand; a shallower document that still nests absurdly deep is refused after parsing,
    before any serializer walks it recursively. (A body past DATA_UPLOAD_MAX_MEMORY_SIZE is
    refused before it reaches a parser: `core.api.exception_handler` answers it.)
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_too_deep_message()) from None
        if _nesting_exceeds(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError(_too_deep_message())
        return data


def _too_deep_message() -> str:
    return _(
        "The JSON body is nested more than %(limit)d levels deep; send a flatter document."
    ) % {"limit": MAX_JSON_DEPTH}


def _nesting_exceeds(data, limit: int) -> bool:
    # A loop with its own stack: walking the document recursively would fail the same way.
    pending = [(data, 1)] if isinstance(data, dict | list) else []
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
