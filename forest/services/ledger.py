"""The one writer of the energy ledger and of the balances cached from it.

Every gram that moves is an append-only entry with an idempotency key, and the cached balance
of each (user, account) it touches moves by the same grams in the same transaction: that is
what keeps ``ledger_audit`` at zero drift. Everything that writes entries comes through here:

- ``ledger_append``: a few rows from one request (collect, steal, grow, water, fraud
  reversals, claim codes). A key that exists already fails on its unique constraint and the
  caller's transaction rolls back: a retried request never moves energy twice.
- ``ledger_append_once``: rows whose keys may exist already (challenge bonuses paid by a
  nightly run that may run again): those are skipped, and only new rows reach the balances.
- ``ledger_append_select``: scoring's set-based entries, an ``INSERT … SELECT`` over a whole
  chunk, with the balances moved by one upsert from the same rows.

Balances are only ever added to with one upsert (``balance_upsert``), never read and written
back, so concurrent writers add to the same row safely.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from django.db import connection

from core import readcache
from core.sql import Dialect, adapt_params, current_dialect, table
from forest.models import EnergyBalance, EnergyLedgerEntry

LEDGER = table(EnergyLedgerEntry)

# (user id, account, kind, grams, idempotency key, drop id or None)
Entry = tuple[int, str, str, int, str, int | None]

# Rows per ``ledger_append_once`` statement (parameter limits of SQLite stay far away).
_BATCH = 500


def balance_upsert(dialect: Dialect, rows_select: str) -> str:
    """Add the (user_id, account, grams) rows of ``rows_select`` to the cached balances.

    One upsert, never read-modify-write, so concurrent writers add to a row safely.
    """
    balances = table(EnergyBalance)
    return f"""INSERT INTO {balances} (user_id, account, grams)
               {rows_select} {dialect.upsert_guard}
               ON CONFLICT (user_id, account)
               DO UPDATE SET grams = {balances}.grams + excluded.grams"""


def balances_add(totals: dict[tuple[int, str], int]) -> None:
    """Add grams to cached balances with one SQL upsert (no read-modify-write in Python)."""
    if not totals:
        return
    dialect = current_dialect()
    values = ", ".join(["(%s, %s, %s)"] * len(totals))
    params: list = []
    for (user_id, account), grams in sorted(totals.items()):
        params.extend([user_id, account, grams])
    with connection.cursor() as cursor:
        cursor.execute(balance_upsert(dialect, f"SELECT * FROM (VALUES {values}) AS v"), params)


def ledger_append(
    *,
    rows: Sequence[Entry],
    now: datetime,
    memo: str = "",
    balances_moved: Collection[tuple[int, str]] = (),
) -> None:
    """Append ``rows`` and add them to the cached balances.

    ``balances_moved`` names (user, account) pairs whose balance the caller has already moved
    itself with a conditional UPDATE (watering debits the giver only if the balance covers
    it); their grams are not added a second time.
    """
    EnergyLedgerEntry.objects.bulk_create(
        [
            EnergyLedgerEntry(
                user_id=user_id, account=account, kind=kind, grams=grams,
                idempotency_key=key, drop_id=drop_id, memo=memo, created_at=now,
            )
            for user_id, account, kind, grams, key, drop_id in rows
        ]
    )  # fmt: skip
    readcache.users_changed(row[0] for row in rows)
    totals: dict[tuple[int, str], int] = {}
    for user_id, account, _kind, grams, _key, _drop in rows:
        if (user_id, account) not in balances_moved:
            totals[(user_id, account)] = totals.get((user_id, account), 0) + grams
    balances_add(totals)


def ledger_append_once(*, rows: Sequence[Entry], now: datetime, memo: str = "") -> list[Entry]:
    """Append the rows whose key is new, skip the others; returns the rows appended.

    Only the appended rows reach the balances, in one upsert after all the inserts.
    """
    appended: list[Entry] = []
    for start in range(0, len(rows), _BATCH):
        part = rows[start : start + _BATCH]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(part))
        params: list = []
        for user_id, account, kind, grams, key, drop_id in part:
            params.extend([user_id, account, kind, grams, key, drop_id, memo[:200], now])
        by_key = {row[4]: row for row in part}
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {LEDGER}
                        (user_id, account, kind, grams, idempotency_key, drop_id, memo,
                         created_at)
                    VALUES {values}
                    ON CONFLICT (idempotency_key) DO NOTHING
                    RETURNING idempotency_key""",
                adapt_params(params),
            )
            appended.extend(by_key[key] for (key,) in cursor.fetchall())
    readcache.users_changed(row[0] for row in appended)
    totals: dict[tuple[int, str], int] = {}
    for user_id, account, _kind, grams, _key, _drop in appended:
        totals[(user_id, account)] = totals.get((user_id, account), 0) + grams
    balances_add(totals)
    return appended


class SetBasedSql(Protocol):
    """What ``ledger_append_select`` needs of scoring's statement runner (``ChunkSql``)."""

    def run(self, sql: str, params: dict | None = None) -> object: ...

    def add_to_balances(self, select: str, params: dict) -> None: ...


def ledger_append_select(
    sql: SetBasedSql, *, columns: str, select: str, balances: str, params: dict
) -> None:
    """Append the entries ``select`` yields (in ``columns`` order) in one ``INSERT … SELECT``,
    then add ``balances`` (a SELECT of user_id, account, grams: the same rows, summed) to the
    cached balances in one upsert. The caller names the users whose documents drop
    (``core.readcache.users_changed_range``: scoring drops its chunk's users on commit)."""
    sql.run(f"INSERT INTO {LEDGER} ({columns}) {select}", params)
    sql.add_to_balances(balances, params)
