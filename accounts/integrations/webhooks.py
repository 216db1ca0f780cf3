"""Aggregator webhook signatures: HMAC-SHA256 over ``"{timestamp}.{delivery id}.{raw body}"``.

The sender puts the Unix time in ``X-Canopy-Timestamp``, the delivery's unique id in
``X-Canopy-Delivery`` and ``sha256=<hex digest>`` in ``X-Canopy-Signature``; the key is the
provider's shared secret from the environment variable ``CANOPY_WEBHOOK_SECRET_<PROVIDER>``
(read on every request, so a rotated secret applies without a restart). The timestamp under
the signature lets an old delivery be refused; the delivery id under it means a captured
request cannot be replayed under a new id (the id is unique, so a replay is a 409). Delivery
ids hold no ``.`` (``DELIVERY_ID``), so the signed string splits one way only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time

from django.conf import settings
from django.utils.translation import gettext

SIGNATURE_PREFIX = "sha256="
DELIVERY_ID = re.compile(r"[A-Za-z0-9_:@-]{1,128}")


class WebhookRejected(Exception):
    """The delivery is not authentic or too old (HTTP 401)."""


def webhook_secret(provider: str) -> bytes:
    return os.environ.get(f"CANOPY_WEBHOOK_SECRET_{provider.upper()}", "").encode()


def webhook_signature(*, secret: bytes, timestamp: str, delivery_id: str, body: bytes) -> str:
    """The header value a sender computes: ``sha256=`` + hex HMAC of ``timestamp.delivery.body``."""
    signed = f"{timestamp}.{delivery_id}.".encode() + body
    return SIGNATURE_PREFIX + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def delivery_id_valid(delivery_id: str) -> bool:
    return DELIVERY_ID.fullmatch(delivery_id) is not None


def webhook_verify(
    *,
    provider: str,
    timestamp: str,
    delivery_id: str,
    signature: str,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise ``WebhookRejected`` unless the signature is right and the timestamp is fresh."""
    secret = webhook_secret(provider)
    if not secret:
        raise WebhookRejected(gettext("Webhooks from this provider are not configured."))
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRejected(gettext("The timestamp header is missing or not a Unix time."))
    if not delivery_id_valid(delivery_id):
        raise WebhookRejected(gettext("The delivery id is missing or malformed."))
    expected = webhook_signature(
        secret=secret, timestamp=timestamp, delivery_id=delivery_id, body=body
    )
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookRejected(gettext("The signature does not match."))
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > settings.CANOPY_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected(
            gettext("The timestamp is too old (or in the future); send it again.")
        )
