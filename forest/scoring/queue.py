"""Putting transactions in line for the nightly scoring.

The importer enqueues what it booked, updated or removed; a re-score enqueues what it marked.
Enqueueing is one ``INSERT … SELECT … ON CONFLICT DO NOTHING``: enqueueing twice is harmless.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from forest.scoring.sql import adapt_params


def transactions_enqueue(transactions: QuerySet, *, reason: str = "new") -> int:
    """Queue the transactions of ``transactions`` (a queryset) for scoring, set-based.

    ``reason``: "new" for a transaction booked for the first time (it cannot have an action
    yet), "changed", "removed" or "rescore" for one that may have one to reverse.
    """
    from django.utils import timezone

    subquery, params = transactions.values("id", "user_id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO forest_scoringqueue (transaction_id, user_id, reason, queued_at)
                SELECT sub.id, sub.user_id, %s, %s FROM ({subquery}) sub
                WHERE 1=1
                ON CONFLICT (transaction_id) DO UPDATE SET reason = excluded.reason""",
            [reason, *adapt_params([timezone.now()]), *params],
        )
        return cursor.rowcount
