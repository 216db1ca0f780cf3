"""The API's JSON renderer: orjson, with DRF's own spelling of every value.

DRF's ``JSONRenderer`` runs the standard library's encoder; orjson writes the same compact
UTF-8 JSON several times faster. Datetimes, dates, times, decimals, lazy translations and the
rest go through DRF's encoder (``rest_framework.utils.encoders.JSONEncoder``), so a response
is the same text as before (``2026-01-01T10:00:00Z``, not ``+00:00``). A client asking for
indented JSON (``Accept: application/json; indent=2``) gets DRF's renderer.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_encoder = JSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        if self.get_indent(accepted_media_type, renderer_context):
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=_encoder.default, option=_OPTIONS)
