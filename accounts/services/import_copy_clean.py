"""The COPY path for clean CSV files: one statement checks, casts and writes every row.

A file is *clean* (``import_copy_load._Scan``) when it is ASCII, has no control characters and
no cell starting or ending with a blank, and every row carries an id. Its rows then need no
trimming and no fingerprint, and one ``INSERT … SELECT`` over the COPY'd table either stages
them for the merge (``_stage_clean``) or, for a feed that holds none of the file's ids, writes
them straight into the transactions table and the scoring queue (``_insert_direct``).
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.integrations.sources.base import MAX_CATEGORY_LENGTH, MAX_NAME_LENGTH
from accounts.integrations.sources.csv_source import extra_columns
from accounts.models import ChangedTransaction, Transaction
from accounts.normalise import normalise_descriptor, normalise_merchant
from accounts.services.import_copy_load import (
    _CURRENCIES,
    CopyDeclined,
    _Loaded,
    _map,
    fit_id_sql,
)
from accounts.services.import_merge import FileFacts, queue_removed, remove_unlisted_pending
from core.sql import table as table_name

# The clean path's SELECT yields these, in this order (``_clean_select``).
_CLEAN_COLUMNS = (
    "seq", "provider_txn_id", "status", "amount", "currency", "booking_date", "transaction_date",
    "merchant_name", "merchant_norm", "descriptor_norm", "merchant_id", "mcc",
    "provider_category", "description", "raw",
)  # fmt: skip


def _clean_select(cursor, loaded: _Loaded) -> str:
    """SELECT of a clean file's rows (``_CLEAN_COLUMNS``), checked, cast and normalised, with
    the rows a check refuses left out.

    Nothing needs trimming. The checks are the CSV source's, written so the common value costs
    a cast and a comparison (``'-4.47'::numeric(14, 2)::text = '-4.47'``); only a value that
    does not print back as written meets the exact pattern. A value PostgreSQL cannot cast at
    all raises: the import declines, and the Python path names the line and field. Callers
    decline when fewer rows come out than the file has lines.
    """
    raw, cell, keys, scan = loaded.raw, loaded.cell, loaded.keys, loaded.scan
    cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")

    def text(name: str) -> str:  # COPY reads an empty unquoted cell as NULL; Python as ""
        return f"COALESCE({cell[name]}, '')"

    def clipped(name: str, limit: int) -> str:
        value = text(name)
        if scan.double_spaces:
            value = (
                f"CASE WHEN strpos({value}, '  ') = 0 THEN {value}"
                f" ELSE regexp_replace({value}, ' +', ' ', 'g') END"
            )
        return f"left({value}, {limit})"

    def day(name: str, typed: str) -> str:
        # Ten characters that print back as written are YYYY-MM-DD: not 'infinity', nor a
        # BC date ('... BC'), nor a year past 9999, all of which PostgreSQL reads.
        value = cell[name]
        return f"({value} IS NULL OR (length({value}) = 10 AND {typed}::text = {value}))"

    amount, currency, mcc = cell["amount"], cell["currency"], cell["mcc"]
    name = clipped("merchant_name", MAX_NAME_LENGTH)
    # Each value is cast (or lower-cased, clipped) once, in a subquery the planner keeps
    # (OFFSET 0), and the checks and the written row both use it.
    typed = (
        f"SELECT p.*, lower({cell['status']}) AS t_status, {amount}::numeric(14, 2) AS t_amount,"
        f" upper({currency}) AS t_currency, {cell['booking_date']}::date AS t_booked,"
        f" {cell['transaction_date']}::date AS t_made, {name} AS t_name FROM {raw} p OFFSET 0"
    )
    checks = " AND ".join(
        [
            "p.t_status IN ('booked', 'pending')",
            # 'NaN' is the one text PostgreSQL's numeric reads and prints back that is not
            # a number.
            f"((p.t_amount::text = {amount} AND {amount} <> 'NaN')"
            rf" OR {amount} ~ '^[+-]?([0-9]{{1,12}}(\.[0-9]{{0,2}})?|\.[0-9]{{1,2}})$')",
            f"p.t_currency IN ({', '.join(repr(c) for c in _CURRENCIES)})",
            day("booking_date", "p.t_booked"),
            day("transaction_date", "p.t_made"),
            f"NOT (p.t_status = 'booked' AND {cell['booking_date']} IS NULL)",
            f"({mcc} IS NULL OR (length({mcc}) = 4 AND {mcc} ~ '^[0-9]{{4}}$'))",
            f"length({text('merchant_id')}) <= 128",
        ]
    )
    names, descriptors = f"{raw}_names", f"{raw}_descriptors"
    if loaded.maps is None:
        for map_table in (names, descriptors):
            cursor.execute(
                f"CREATE TEMP TABLE {map_table} (name TEXT PRIMARY KEY, norm TEXT) ON COMMIT DROP"
            )
        _map(
            f"SELECT DISTINCT {name} FROM {raw} p",
            names,
            lambda value: normalise_merchant(value)[:200],
        )
        _map(
            f"SELECT DISTINCT {text('description')} FROM {raw} p JOIN {names} n"
            f" ON n.name = {name} WHERE n.norm = ''",
            descriptors,
            lambda value: normalise_descriptor(value)[:200],
        )
        loaded.maps = (names, descriptors)
    txn_id = cell["transaction_id"]
    extras = [
        f"'{keys[i].replace(chr(39), chr(39) * 2)}', COALESCE(p.c{i}, '')"
        for i in extra_columns(keys)
    ]
    pairs = ["'_line', p.seq + 1", *extras]
    raw_json = " || ".join(
        f"jsonb_build_object({', '.join(pairs[i : i + 40])})" for i in range(0, len(pairs), 40)
    )
    return (
        f"SELECT p.seq, {fit_id_sql(txn_id)},"
        f" p.t_status, p.t_amount, p.t_currency, p.t_booked, p.t_made, p.t_name, n.norm,"
        # The descriptor only where the name names no shop: a lookup of those rows only,
        # not a hash of every row's description.
        f" CASE WHEN n.norm = '' THEN COALESCE((SELECT d.norm FROM {descriptors} d"
        f" WHERE d.name = {text('description')}), '') ELSE '' END, {text('merchant_id')},"
        f" {text('mcc')}, {clipped('category', MAX_CATEGORY_LENGTH)}, {text('description')},"
        f" {raw_json}"
        f" FROM ({typed}) p JOIN {names} n ON n.name = p.t_name"
        f" WHERE {checks}"
    )


def _run_clean(cursor, sql: str, params: list | None = None, *, fetch: bool = False) -> int:
    """Run one of the clean path's statements: its row count, or (``fetch``) its one value."""
    # No statistics on the temp tables: the planner would guess one row and loop over names.
    cursor.execute("SET LOCAL enable_nestloop = off")
    try:
        cursor.execute(sql, params)
    except IntegrityError:
        raise
    except DatabaseError as exc:  # a value PostgreSQL cannot cast: the Python path names it
        raise CopyDeclined(f"a value PostgreSQL cannot read: {exc}") from None
    result = cursor.fetchone()[0] if fetch else cursor.rowcount
    cursor.execute("RESET enable_nestloop")  # (an error rolls the SET LOCAL back itself)
    return result


def _drop_loaded(cursor, loaded: _Loaded) -> None:
    # ON COMMIT DROP is the safety net; an import inside an outer transaction (a background
    # job) should not keep them until it commits.
    for name in (loaded.raw, *(loaded.maps or ())):
        cursor.execute(f"DROP TABLE {name}")


def _stage_clean(cursor, table: str, loaded: _Loaded, facts: FileFacts) -> int:
    """One pass for a clean file: check, cast and stage every row in one ``INSERT … SELECT``."""
    select = _clean_select(cursor, loaded)
    columns = ", ".join(f"f.{column}" for column in _CLEAN_COLUMNS)
    staged = _run_clean(
        cursor,
        f"INSERT INTO {table} (seq, kind, provider_txn_id, fingerprint, pending_txn_id, status,"
        f" amount, currency, booking_date, transaction_date, merchant_name, merchant_norm,"
        f" descriptor_norm, merchant_id, mcc, provider_category, description, raw, is_reversal,"
        f" account, origin)"
        f" SELECT f.seq, 't', f.provider_txn_id, '', '', f.status, f.amount, f.currency,"
        f" f.booking_date, f.transaction_date, f.merchant_name, f.merchant_norm,"
        f" f.descriptor_norm, f.merchant_id, f.mcc, f.provider_category, f.description, f.raw,"
        f" false, '', 'line ' || (f.seq + 1) FROM ({select}) f ({columns.replace('f.', '')})",
    )
    if staged != loaded.records:  # a row the checks refuse, or not one row per line
        raise CopyDeclined("a row does not pass the checks")
    # The merge's index on the staging ids, made unique when it can be: whether the file
    # repeats an id comes with it, instead of a GROUP BY over the whole file.
    try:
        with transaction.atomic():
            cursor.execute(f"CREATE UNIQUE INDEX {table}_id ON {table} (provider_txn_id)")
        facts.repeats = False
    except IntegrityError:
        facts.repeats = True
    facts.id_hashes = None
    _drop_loaded(cursor, loaded)
    return staged


def _insert_direct(
    cursor, loaded: _Loaded, *, feed: Any, batch: Any, now: Any
) -> tuple[int, int] | None:
    """A clean file whose ids are all new to the feed (its first import, a new account's
    history, the next statement): straight from the COPY'd table into the transactions table
    and the scoring queue in one statement. (New rows, rows removed); None (nothing written)
    when the feed holds one of the file's ids, or the file repeats an id (the unique
    ``(feed_id, provider_txn_id)`` says so): the staging merge deals with those.

    Of the rest of the merge only its last step applies then (no row to update, no removal:
    the CSV format has none, no pending id): the feed's pending rows of the file's dates, which
    the file (a statement) no longer lists, are removed and queued for scoring. The caller
    holds the feed's row lock.
    """
    txn = table_name(Transaction)
    outbox = table_name(ChangedTransaction)
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {txn} WHERE feed_id = %s)", [feed.pk])
    holds_rows = cursor.fetchone()[0]
    if holds_rows:
        file_id = fit_id_sql(loaded.cell["transaction_id"])
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {loaded.raw} p JOIN {txn} t"
            f" ON t.provider_txn_id = {file_id} WHERE t.feed_id = %s)",
            [feed.pk],
        )
        if cursor.fetchone()[0]:
            return None
    select = _clean_select(cursor, loaded)
    fields = ", ".join(_CLEAN_COLUMNS[1:])
    now_value = connection.ops.adapt_datetimefield_value(now)
    try:
        with transaction.atomic():
            new = _run_clean(
                cursor,
                f"WITH inserted AS (INSERT INTO {txn} (user_id, feed_id, import_batch_id,"
                f" provider, fingerprint, pending_txn_id, is_reversal, created_at, updated_at,"
                f" {fields}) SELECT %s, %s, %s, %s, '', '', false, %s, %s,"
                f" {', '.join(f'f.{column}' for column in _CLEAN_COLUMNS[1:])}"
                f" FROM ({select}) f ({', '.join(_CLEAN_COLUMNS)})"
                f" RETURNING id, user_id, status),"
                f" queued AS (INSERT INTO {outbox} (transaction_id, user_id, reason, queued_at)"
                f" SELECT id, user_id, 'new', %s FROM inserted WHERE status = 'booked')"
                f" SELECT COUNT(*) FROM inserted",
                [feed.user_id, feed.pk, batch.pk, feed.provider, now_value, now_value, now_value],
                fetch=True,
            )
            if new != loaded.records:  # a row the checks refuse, or not one row per line
                raise CopyDeclined("a row does not pass the checks")
    except IntegrityError:  # the file repeats an id
        return None
    removed = 0
    if holds_rows and new:
        # The merge's last step (``remove_unlisted_pending``): the rows are written and
        # checked, so the file's dates cast; none of the feed's earlier rows has one of its
        # ids, so the file lists just its own.
        made, booked = loaded.cell["transaction_date"], loaded.cell["booking_date"]
        file_day = f"COALESCE({made}::date, {booked}::date)"
        removed = remove_unlisted_pending(
            cursor,
            feed_id=feed.pk,
            now=now_value,
            first_day=f"(SELECT MIN({file_day}) FROM {loaded.raw} p)",
            last_day=f"(SELECT MAX({file_day}) FROM {loaded.raw} p)",
            listed="import_batch_id IS NOT DISTINCT FROM %s",
            params=[batch.pk],
        )
        if removed:
            queue_removed(cursor, feed_id=feed.pk, now=now_value)
    _drop_loaded(cursor, loaded)
    return new, removed
