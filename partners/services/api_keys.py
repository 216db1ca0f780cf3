"""Planting partners' API keys: created once (the secret is shown then), stored as a hash.

Why keys rather than HMAC-signed requests: NGOs call us from curl, spreadsheets and small
scripts, and the planted report is a multipart photo upload; signing a multipart body is
error-prone for them, while a bearer key over TLS is what Ecologi and Tree-Nation hand out
too. A key is 256 random bits, stored as SHA-256 (a slow hash buys nothing for random
secrets), revocable, and a partner may hold several to rotate without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from django.utils import timezone

from partners.models import PartnerApiKey

if TYPE_CHECKING:
    from catalogue.models import PlantingPartner

KEY_PREFIX = "cnp"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def partner_api_key_create(*, partner: PlantingPartner, name: str) -> tuple[PartnerApiKey, str]:
    """A new key for ``partner``; returns the row and the full key, which is never stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = PartnerApiKey.objects.create(
        partner=partner, name=name, prefix=prefix, secret_hash=_hash(secret)
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def partner_api_key_check(token: str) -> PartnerApiKey | None:
    """The live key matching ``token`` (with its active partner), or None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    _, prefix, secret = parts
    key = (
        PartnerApiKey.objects.select_related("partner")
        .filter(prefix=prefix, revoked_at__isnull=True, partner__is_active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    # At most one write a minute per key: last_used_at is for operators, not for auditing.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        PartnerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
