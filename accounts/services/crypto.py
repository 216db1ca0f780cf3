"""Encryption at rest for the few secrets Canopy stores (Plaid access tokens and item ids).

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with the key(s) in
``settings.CANOPY_FIELD_ENCRYPTION_KEY``: one or more url-safe base64 Fernet keys separated by
commas. The first encrypts; every one of them decrypts, so a key is rotated by putting the new
one first and dropping the old one once every row was re-encrypted (``MultiFernet.rotate``).
Values are encrypted and decrypted only where they are used, never when a row is loaded, so
lists and admin pages never hold a plaintext.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """The stored value was not encrypted with any of the configured keys (or was altered)."""


def encryption_keys(value: str | None = None) -> list[str]:
    raw = settings.CANOPY_FIELD_ENCRYPTION_KEY if value is None else value
    return [key.strip() for key in (raw or "").split(",") if key.strip()]


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("CANOPY_FIELD_ENCRYPTION_KEY is not set.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "CANOPY_FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes each), "
            "separated by commas."
        ) from exc


def encrypt(plaintext: str) -> str:
    """The Fernet token of ``plaintext`` (ASCII); "" stays "" so an erased value is visible."""
    if not plaintext:
        return ""
    return _fernet(tuple(encryption_keys())).encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return _fernet(tuple(encryption_keys())).decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionFailed(
            "a stored secret cannot be decrypted with CANOPY_FIELD_ENCRYPTION_KEY"
        ) from exc


def digest(value: str) -> str:
    """SHA-256 of a high-entropy token, to find a row by it without storing the token."""
    return hashlib.sha256(value.encode()).hexdigest()


def mask(secret: str) -> str:
    """``access-sandbox-…••••0f6a``: enough to tell two tokens apart, not enough to use one."""
    if not secret:
        return ""
    parts = secret.split("-")
    prefix = "-".join(parts[:2]) + "-…" if len(parts) > 2 and len(secret) > 24 else ""
    return f"{prefix}••••{secret[-4:]}" if len(secret) > 12 else "••••"


def reencrypt(ciphertext: str) -> str:
    """``ciphertext`` encrypted again with the first key (any configured key may decrypt it)."""
    if not ciphertext:
        return ""
    try:
        return _fernet(tuple(encryption_keys())).rotate(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionFailed(
            "a stored secret cannot be decrypted with CANOPY_FIELD_ENCRYPTION_KEY"
        ) from exc


def encrypt_bytes(data: bytes) -> bytes:
    """The Fernet token of ``data`` (a chunk of a stored file), with the same keys."""
    return _fernet(tuple(encryption_keys())).encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet(tuple(encryption_keys())).decrypt(token)
    except InvalidToken as exc:
        raise DecryptionFailed(
            "a stored file cannot be decrypted with CANOPY_FIELD_ENCRYPTION_KEY"
        ) from exc
