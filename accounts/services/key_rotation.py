"""Re-encrypting the stored secrets with the first key of CANOPY_FIELD_ENCRYPTION_KEY, the
middle step of a key rotation (docs/deploy.md, "Secrets and key rotation")."""

from __future__ import annotations

from collections.abc import Callable

from accounts.models import PlaidItem
from accounts.services.crypto import reencrypt


def stored_secrets_reencrypt(
    *, batch_size: int = 500, progress: Callable[[int], object] | None = None
) -> int:
    """Encrypt every Plaid item's secrets again with the first key; returns rows rewritten.

    Each row is a conditional UPDATE on the ciphertexts it read, so a row that a request
    changed meanwhile (already encrypted with the first key) is left as it is. Safe to stop
    and run again: rows under the first key are simply rewritten once more.
    """
    rewritten = 0
    last_id = 0
    while True:
        rows = list(
            PlaidItem.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "access_token_ciphertext", "item_id_ciphertext")[:batch_size]
        )
        if not rows:
            return rewritten
        for pk, token, item in rows:
            if token or item:
                rewritten += PlaidItem.objects.filter(
                    pk=pk, access_token_ciphertext=token, item_id_ciphertext=item
                ).update(
                    access_token_ciphertext=reencrypt(token), item_id_ciphertext=reencrypt(item)
                )
        last_id = rows[-1][0]
        if progress:
            progress(len(rows))
