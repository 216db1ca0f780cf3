"""JSON from strangers, parsed with a bound on nesting.

``json.loads`` recurses once per level: a few thousand ``[`` in a small body raise
RecursionError, which no caller expects (a 500). ``json_loads_bounded`` refuses anything nested
deeper than ``CANOPY_JSON_MAX_DEPTH`` before parsing, in one regex pass over the bytes;
``BoundedJSONParser`` is DRF's JSON parser with the same bound (the API's default parser).
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A JSON string (escapes included) or one bracket: strings are skipped whole, so a bracket
# inside a string does not count.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonTooDeep(ValueError):
    """The document nests deeper than allowed (a ValueError, like any other bad JSON)."""


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (0 for a scalar)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def max_depth() -> int:
    return int(getattr(settings, "CANOPY_JSON_MAX_DEPTH", 32))


def json_loads_bounded(raw: bytes | str, *, limit: int | None = None):
    """``json.loads``, refusing documents nested deeper than ``limit`` with ``JsonTooDeep``."""
    data = raw.encode() if isinstance(raw, str) else raw
    limit = max_depth() if limit is None else limit
    if json_depth(data) > limit:
        raise JsonTooDeep(
            gettext("The JSON is nested more than %(limit)d levels deep.") % {"limit": limit}
        )
    return json.loads(data)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing documents nested deeper than ``CANOPY_JSON_MAX_DEPTH``."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json_loads_bounded(raw.decode(encoding))
        except JsonTooDeep as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(gettext("JSON parse error - %s") % str(exc)) from None
