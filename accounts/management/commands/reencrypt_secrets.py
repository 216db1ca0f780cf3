"""Encrypt the stored secrets again with the first key of CANOPY_FIELD_ENCRYPTION_KEY.

Key rotation (docs/deploy.md): deploy with ``CANOPY_FIELD_ENCRYPTION_KEY=new,old``, run
``manage.py reencrypt_secrets``, then deploy with ``new`` alone.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from accounts.models import PlaidItem
from accounts.services.key_rotation import stored_secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt stored Plaid secrets with the first key of CANOPY_FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size=500, **options) -> None:
        total = PlaidItem.objects.count()
        with tqdm(total=total, unit="item", disable=options["verbosity"] < 1) as bar:
            rewritten = stored_secrets_reencrypt(batch_size=batch_size, progress=bar.update)
        self.stdout.write(f"{rewritten} of {total} Plaid items re-encrypted with the first key.")
