"""The outbox of changed transactions: putting rows in, and handing them to the game.

Accounts owns the table (``accounts.models.ChangedTransaction``); the scoring reads and claims
it only through these functions. Every write is one set-based statement whatever the number of
rows: adding is ``INSERT … SELECT``, claiming is one ``DELETE … RETURNING`` on PostgreSQL that
also fills the consumer's temp tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ChangedTransaction
from core.sql import adapt_params, current_dialect, table

# Runs one statement with its parameters; the scoring passes its chunk's runner.
Execute = Callable[[str, dict], int]


def _execute(sql: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, adapt_params(params))
        return cursor.rowcount


def outbox_add(transactions: QuerySet, *, reason: str = "new") -> int:
    """Put the transactions of ``transactions`` (a queryset) in the outbox, set-based.

    ``reason``: "new" for a transaction booked for the first time (it cannot have an action
    yet), "changed", "removed" or "rescore" for one that may have one to reverse. Adding twice
    is harmless: the row keeps its place and takes the newer reason.
    """
    subquery, params = transactions.values("id", "user_id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table(ChangedTransaction)}
                    (transaction_id, user_id, reason, queued_at)
                SELECT sub.id, sub.user_id, %s, %s FROM ({subquery}) sub
                WHERE 1=1
                ON CONFLICT (transaction_id) DO UPDATE SET reason = excluded.reason""",
            [reason, *adapt_params([timezone.now()]), *params],
        )
        return cursor.rowcount


def outbox_put_back(select: str, params: dict, *, execute: Execute = _execute) -> None:
    """Put claimed rows back: ``select`` yields (transaction_id, user_id, reason, queued_at).

    For a consumer that claimed rows it cannot handle yet (say, an unknown currency).
    """
    execute(
        f"INSERT INTO {table(ChangedTransaction)} (transaction_id, user_id, reason, queued_at) "
        f"{select}",
        params,
    )


def outbox_claim(
    *,
    using: str,
    where: str,
    returning: str,
    into: Sequence[tuple[str, str, str]],
    params: dict,
    execute: Execute = _execute,
) -> int:
    """Take the outbox rows (aliased ``q``) that match ``where``, joined to ``using``, off the
    outbox and insert them into the consumer's tables, all in the caller's transaction.
    Returns how many rows went into the last of them.

    ``returning`` lists the columns each claimed row yields (they may name ``q`` and the tables
    of ``using``); ``into`` is ``(table, columns, condition)`` per consumer table, the columns
    and condition over those of ``returning``. A rollback puts the rows back.

    PostgreSQL: one statement. ``DELETE … RETURNING`` takes the row locks, so a concurrent
    claim of the same rows waits, then finds them gone. SQLite runs one writer at a time
    (BEGIN IMMEDIATE), so it copies each set and then deletes: one statement per table more.
    """
    outbox = table(ChangedTransaction)
    if current_dialect().postgres:
        *firsts, (last_table, last_columns, last_condition) = into
        ctes = [f"claimed AS (DELETE FROM {outbox} q USING {using} WHERE {where} "
                f"RETURNING {returning})"]  # fmt: skip
        ctes += [
            f"into_{n} AS (INSERT INTO {name} SELECT {columns} FROM claimed WHERE {condition})"
            for n, (name, columns, condition) in enumerate(firsts)
        ]
        # The statement's row count is its main INSERT's: the last table's rows.
        return execute(
            f"WITH {', '.join(ctes)} INSERT INTO {last_table} "
            f"SELECT {last_columns} FROM claimed WHERE {last_condition}",
            params,
        )
    claimed = f"SELECT {returning} FROM {outbox} q, {using} WHERE {where}"
    last = 0
    for name, columns, condition in into:
        last = execute(
            f"INSERT INTO {name} SELECT {columns} FROM ({claimed}) claimed WHERE {condition}",
            params,
        )
    execute(
        f"DELETE FROM {outbox} WHERE transaction_id IN "
        f"(SELECT q.transaction_id FROM {outbox} q, {using} WHERE {where})",
        params,
    )
    return last
