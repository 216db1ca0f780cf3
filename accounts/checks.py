"""System checks: a malformed encryption key fails `manage.py check`, not the first link."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from accounts.services.crypto import _fernet, encryption_keys


@register()
def field_encryption_key_check(app_configs, **kwargs) -> list[Error]:
    try:
        _fernet(tuple(encryption_keys()))
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                id="accounts.E001",
            )
        ]
    return []
