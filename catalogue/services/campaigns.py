"""Spending a campaign's budget: the one writer of ``spent_grams``.

Every chunk of a scoring night spends from the same budget row, so the row lock is where they
wait for each other. Callers that take from several campaigns in one transaction take them in
id order (no deadlocks) and as late in their transaction as they can (short lock holds).
"""

from __future__ import annotations

from django.db import connection

from catalogue.models import Campaign
from core.sql import current_dialect, table


def campaign_budget_take(campaign_id: int, grams: int) -> int:
    """Lock the campaign's row and raise its ``spent_grams`` by ``grams``, or by what is left
    of its budget if less; returns the grams granted (0 when the budget is spent).

    Runs in the caller's transaction and holds the lock until it ends, so concurrent callers
    queue here and the budget holds: ``spent_grams`` never passes ``budget_grams``.
    """
    campaigns = table(Campaign)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT budget_grams - spent_grams FROM {campaigns} WHERE id = %s"
            f"{current_dialect().for_update}",
            [campaign_id],
        )
        left = cursor.fetchone()[0]
        granted = max(0, min(grams, int(left)))
        if granted:
            # Conditional: never past the budget, even for a caller that skipped the lock.
            cursor.execute(
                f"UPDATE {campaigns} SET spent_grams = spent_grams + %s "
                f"WHERE id = %s AND spent_grams + %s <= budget_grams",
                [granted, campaign_id, granted],
            )
            if cursor.rowcount != 1:
                return 0
    return granted


def campaign_quarantine(campaign_id: int, reason: str) -> bool:
    """Switch off a campaign scoring cannot run (its regex refused by the database), keeping
    why; True if it was active. Its sponsor sees the reason on the campaign in the portal."""
    return bool(
        Campaign.objects.filter(pk=campaign_id, is_active=True).update(
            is_active=False, quarantine_reason=reason[:300]
        )
    )
