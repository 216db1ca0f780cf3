"""Stored merchant names after a normaliser change: the backfill behind
``manage.py renormalise_merchants``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from accounts.models import Transaction
from accounts.normalise import normalise_descriptor, normalise_merchant
from accounts.services.outbox import outbox_add


@dataclass
class RenormaliseResult:
    examined: int = 0
    changed: int = 0
    queued: int = 0
    examples: list[tuple[str, str, str]] = field(default_factory=list)  # (name, before, after)


def merchant_names_refresh(
    *,
    since: date | None = None,
    batch_size: int = 2_000,
    queue: bool = False,
    progress: Callable[[int], object] | None = None,
) -> RenormaliseResult:
    """Recompute ``merchant_norm`` and ``descriptor_norm`` of stored transactions, a batch of
    rows per transaction, writing only the rows whose names change. Erased rows stay erased.

    ``queue`` puts the changed booked rows in the scoring outbox as "changed": the next night
    reverses their old action, if any, and scores them again by their new names.
    """
    result = RenormaliseResult()
    rows = Transaction.objects.filter(redacted_at__isnull=True).order_by("id")
    if since:
        rows = rows.filter(booking_date__gte=since)
    last = 0
    cache: dict[str, str] = {}
    while True:
        batch = list(
            rows.filter(id__gt=last).only(
                "id", "merchant_name", "description", "merchant_norm", "descriptor_norm", "status"
            )[:batch_size]
        )
        if not batch:
            return result
        last = batch[-1].id
        changed = []
        for txn in batch:
            # As the importer names them (accounts.normalise.transaction_names), with the
            # merchant's name cached: it repeats, the description mostly does not.
            merchant = cache.get(txn.merchant_name)
            if merchant is None:
                if len(cache) > 50_000:
                    cache.clear()
                merchant = cache[txn.merchant_name] = normalise_merchant(txn.merchant_name)[:200]
            names = (merchant, "" if merchant else normalise_descriptor(txn.description)[:200])
            if names != (txn.merchant_norm, txn.descriptor_norm):
                if len(result.examples) < 10:
                    before = txn.merchant_norm or txn.descriptor_norm
                    shown = txn.merchant_name or txn.description[:60]
                    result.examples.append((shown, before, names[0] or names[1]))
                txn.merchant_norm, txn.descriptor_norm = names
                changed.append(txn)
        with transaction.atomic():
            Transaction.objects.bulk_update(changed, ["merchant_norm", "descriptor_norm"])
            if queue and changed:
                result.queued += outbox_add(
                    Transaction.objects.filter(
                        id__in=[t.id for t in changed], status="booked", removed_at__isnull=True
                    ),
                    reason="changed",
                )
        result.examined += len(batch)
        result.changed += len(changed)
        if progress:
            progress(len(batch))
