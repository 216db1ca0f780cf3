"""Sponsor logos for certificates: decoded once per content, bounded, never fatal."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections import OrderedDict

from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

_LOGO_BOX = (230, 150)  # the largest a logo is drawn on the certificate's sponsor panel

# Decoded sponsor logos, keyed by content digest: sponsors reuse one logo for every certificate.
_LOGO_CACHE: OrderedDict[bytes, Image.Image | None] = OrderedDict()
_LOGO_CACHE_SIZE = 32
_LOGO_LOCK = threading.Lock()
_LOGO_MAX_BYTES = 8 * 1024 * 1024
_LOGO_MAX_PIXELS = 25_000_000


def _decode_logo(data: bytes) -> Image.Image | None:
    if not data or len(data) > _LOGO_MAX_BYTES:
        return None
    try:
        with Image.open(io.BytesIO(data)) as src:
            if src.width * src.height > _LOGO_MAX_PIXELS:
                return None
            src.draft("RGB", (_LOGO_BOX[0] * 2, _LOGO_BOX[1] * 2))  # JPEG: decode downscaled
            logo = ImageOps.exif_transpose(src)
            logo = logo.convert("RGBA")
        logo.thumbnail(_LOGO_BOX, Image.Resampling.LANCZOS)
        return logo
    except Exception as exc:  # any decoder error: a bad partner logo must not block certificates
        logger.warning("ignoring unreadable sponsor logo: %s", exc)
        return None


def _sponsor_logo(data: bytes | None) -> Image.Image | None:
    if not data:
        return None
    key = hashlib.sha256(data).digest()
    with _LOGO_LOCK:
        if key in _LOGO_CACHE:
            _LOGO_CACHE.move_to_end(key)
            return _LOGO_CACHE[key]
    logo = _decode_logo(data)
    with _LOGO_LOCK:
        _LOGO_CACHE[key] = logo
        while len(_LOGO_CACHE) > _LOGO_CACHE_SIZE:
            _LOGO_CACHE.popitem(last=False)
    return logo
