"""Secrets at rest: Fernet with keys from the environment, rotation, and refusing to start."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from accounts.checks import field_encryption_key_check
from accounts.integrations.plaid import stored_access_token
from accounts.integrations.providers import ProviderError
from accounts.services.crypto import DecryptionFailed, decrypt, encrypt, mask
from tests.accounts.factories import PlaidItemFactory
from tests.test_production_settings import EXAMPLE_ENV, ROOT


def test_a_secret_round_trips_and_is_never_stored_as_itself():
    one, two = encrypt("access-sandbox-123"), encrypt("access-sandbox-123")

    assert one != two  # a fresh IV each time: equal tokens do not look equal at rest
    assert "access-sandbox" not in one
    assert decrypt(one) == decrypt(two) == "access-sandbox-123"
    assert encrypt("") == "" and decrypt("") == ""


def test_keys_rotate_new_first_old_still_decrypting(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CANOPY_FIELD_ENCRYPTION_KEY = old
    stored = encrypt("access-production-abc")

    settings.CANOPY_FIELD_ENCRYPTION_KEY = f"{new}, {old}"
    assert decrypt(stored) == "access-production-abc"
    assert Fernet(new.encode()).decrypt(encrypt("x").encode()) == b"x"  # the first encrypts

    settings.CANOPY_FIELD_ENCRYPTION_KEY = new
    with pytest.raises(DecryptionFailed):
        decrypt(stored)


@pytest.mark.django_db
def test_a_token_the_key_cannot_decrypt_stops_the_sync_without_retries(settings):
    item = PlaidItemFactory(access_token="access-sandbox-1")
    settings.CANOPY_FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(ProviderError) as failed:
        stored_access_token(item.feed)

    assert failed.value.retryable is False
    assert "CANOPY_FIELD_ENCRYPTION_KEY" in str(failed.value)


@pytest.mark.parametrize("key", ["", "not-a-fernet-key", "c2hvcnQ="])
def test_a_missing_or_malformed_key_fails_the_system_check(settings, key):
    settings.CANOPY_FIELD_ENCRYPTION_KEY = key

    errors = field_encryption_key_check(None)

    assert [error.id for error in errors] == ["accounts.E001"]


def test_the_configured_key_passes_the_system_check():
    assert field_encryption_key_check(None) == []


def test_masking_shows_only_the_kind_and_the_last_characters():
    assert mask("access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6") == (
        "access-sandbox-…••••c0f6"
    )
    assert mask("M5eVJqLnv3tbzdngLDp9FL5OlDNxlNhlE55op") == "••••55op"
    assert mask("short") == "••••"
    assert mask("") == ""


def test_production_refuses_to_start_without_the_encryption_key():
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CANOPY_FIELD_ENCRYPTION_KEY"))
    }
    env = {k: v for k, v in EXAMPLE_ENV.items() if k != "CANOPY_FIELD_ENCRYPTION_KEY"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "CANOPY_FIELD_ENCRYPTION_KEY" in result.stderr


def test_reencrypt_secrets_moves_every_stored_secret_to_the_new_key(settings, db):
    from django.core.management import call_command

    from accounts.models import PlaidItem

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CANOPY_FIELD_ENCRYPTION_KEY = old
    items = [PlaidItemFactory() for _ in range(3)]
    tokens = {item.pk: item.access_token() for item in items}
    erased = items[2]
    PlaidItem.objects.filter(pk=erased.pk).update(access_token_ciphertext="", item_id_ciphertext="")

    settings.CANOPY_FIELD_ENCRYPTION_KEY = f"{new},{old}"  # step 1: the new key first
    out = io.StringIO()
    call_command("reencrypt_secrets", "--batch-size", "2", verbosity=0, stdout=out)
    assert "2 of 3 Plaid items re-encrypted" in out.getvalue()

    settings.CANOPY_FIELD_ENCRYPTION_KEY = new  # step 3: the old key gone
    for item in PlaidItem.objects.exclude(pk=erased.pk):
        assert item.access_token() == tokens[item.pk]
        assert item.item_id()
    assert PlaidItem.objects.get(pk=erased.pk).access_token() == ""
