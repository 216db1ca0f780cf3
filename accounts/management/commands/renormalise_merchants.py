"""Apply the current merchant-name normaliser to stored transactions (after it changed).

manage.py renormalise_merchants [--since 2026-01-01] [--queue]
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand
from tqdm import tqdm

from accounts.models import Transaction
from accounts.services.merchant_names import merchant_names_refresh


class Command(BaseCommand):
    help = "Recompute the stored normalised merchant and descriptor names of transactions."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="only rows booked from")
        parser.add_argument("--batch-size", type=int, default=2_000)
        parser.add_argument(
            "--queue",
            action="store_true",
            help="queue the changed booked rows for the next scoring (their old action, if "
            "any, is reversed and they are scored again)",
        )

    def handle(self, *args, since=None, batch_size=2_000, queue=False, **options) -> None:
        rows = Transaction.objects.filter(redacted_at__isnull=True)
        if since:
            rows = rows.filter(booking_date__gte=since)
        with tqdm(total=rows.count(), unit="txn", disable=options["verbosity"] < 1) as bar:
            result = merchant_names_refresh(
                since=since, batch_size=batch_size, queue=queue, progress=bar.update
            )
        for shown, before, after in result.examples:
            self.stdout.write(f"  {shown!r}: {before!r} -> {after!r}")
        self.stdout.write(
            f"{result.examined} transactions examined, {result.changed} renamed, "
            f"{result.queued} queued for scoring."
        )
