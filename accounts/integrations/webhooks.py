"""Aggregator webhook signatures: HMAC-SHA256 over ``"{timestamp}.{raw body}"``.

The sender puts the Unix time in ``X-Canopy-Timestamp`` and ``sha256=<hex digest>`` in
``X-Canopy-Signature``; the key is the provider's shared secret from the environment variable
``CANOPY_WEBHOOK_SECRET_<PROVIDER>`` (read on every request, so a rotated secret applies
without a restart). Signing the timestamp with the body lets an old delivery be refused even
when its signature is valid.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from django.conf import settings
from django.utils.translation import gettext

SIGNATURE_PREFIX = "sha256="


class WebhookRejected(Exception):
    """The delivery is not authentic or too old (HTTP 401)."""


def webhook_secret(provider: str) -> bytes:
    return os.environ.get(f"CANOPY_WEBHOOK_SECRET_{provider.upper()}", "").encode()


def webhook_signature(*, secret: bytes, timestamp: str, body: bytes) -> str:
    """The header value a sender computes: ``sha256=`` + hex HMAC of ``timestamp.body``."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_verify(
    *, provider: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> None:
    """Raise ``WebhookRejected`` unless the signature is right and the timestamp is fresh."""
    secret = webhook_secret(provider)
    if not secret:
        raise WebhookRejected(gettext("Webhooks from this provider are not configured."))
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRejected(gettext("The timestamp header is missing or not a Unix time."))
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookRejected(gettext("The signature does not match."))
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > settings.CANOPY_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected(
            gettext("The timestamp is too old (or in the future); send it again.")
        )
