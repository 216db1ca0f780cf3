"""The transaction importer: normalised items in, rows in ``accounts_transaction`` out.

One import is one database transaction. Items are read in chunks of ``CHUNK_SIZE`` and each
chunk is written to a temporary staging table (``COPY`` on PostgreSQL, ``executemany`` on
SQLite), then a handful of set-based statements merge the staging table into the transactions
table:

0. keep only the feed's own account when the file holds several (else refuse the file), and
   refuse a file in which one id names two different transactions (``_refuse_conflicts``);
1. drop repeats of an id within the input (identical, so nothing is lost); 0's conflict check
   and this step are skipped for inputs known to repeat no id (``FileFacts.repeats``);
2. ``UPDATE … FROM staging`` for rows that exist and changed (pending → booked, Plaid
   ``modified``); a booked row is never turned back into a pending one;
3. ``INSERT … SELECT … WHERE NOT EXISTS`` for new rows (ids the feed does not hold; the
   feed's row lock serialises imports, and the unique ``(feed_id, provider_txn_id)`` turns
   any other writer's duplicate into an error, never a second row);
4. ``removed_at`` for the ids the source removed, and for the pending rows a posted item
   replaces (its ``pending_txn_id``);
5. for statements (``SNAPSHOT_FORMATS``), ``removed_at`` for pending rows of the statement's
   dates that it no longer lists.

There is never a query per transaction and memory does not grow with the input: only one
chunk of rows is held at a time. A ``SourceError`` raised while the items are read rolls
everything back; the import is then recorded as rejected, in its own transaction, with the
line and field the source named. The SQL is the same on PostgreSQL and SQLite (3.39+: UPDATE
FROM, IS DISTINCT FROM, upserts).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.integrations.sources.base import (
    NormalisedTransaction,
    OccurrenceCounter,
    RemovedTransaction,
    SourceError,
    SourceItem,
    account_key,
    is_iban,
)
from accounts.models import (
    TRANSACTION_BANK_FIELDS,
    ChangedTransaction,
    ImportBatch,
    LinkedFeed,
    Transaction,
)
from accounts.normalise import normalise_merchant, transaction_names
from core.sql import copy_rows, current_dialect
from core.sql import table as table_name

logger = logging.getLogger(__name__)

# Items per COPY / executemany round trip: large enough that round trips do not dominate,
# small enough that a chunk of rows stays a few megabytes whatever the file size.
CHUNK_SIZE = 5_000
# Distinct merchant names whose normalised form is remembered; cleared when full so memory
# stays flat on files with millions of distinct descriptions.
_MERCHANT_CACHE_SIZE = 20_000

_VALID_STATUSES = frozenset({"pending", "booked"})
# Formats whose files list every pending item of the dates they cover, so a pending row of
# those dates missing from the file is stale. Plaid pages are incremental: Plaid removes
# pending items itself.
SNAPSHOT_FORMATS = frozenset({"berlin_group", "camt053", "csv", "ofx"})

# Staging columns, in COPY order. ``kind`` is "t" (a transaction) or "r" (a removal).
_STAGING_COLUMNS = (
    ("seq", "BIGINT", "INTEGER"),
    ("kind", "CHAR(1)", "TEXT"),
    ("provider_txn_id", "VARCHAR(128)", "TEXT"),
    ("fingerprint", "VARCHAR(64)", "TEXT"),
    ("pending_txn_id", "VARCHAR(128)", "TEXT"),
    ("status", "VARCHAR(8)", "TEXT"),
    ("amount", "NUMERIC(14, 2)", "NUMERIC"),
    ("currency", "VARCHAR(3)", "TEXT"),
    ("booking_date", "DATE", "DATE"),
    ("transaction_date", "DATE", "DATE"),
    ("merchant_name", "VARCHAR(200)", "TEXT"),
    ("merchant_norm", "VARCHAR(200)", "TEXT"),
    ("descriptor_norm", "VARCHAR(200)", "TEXT"),
    ("merchant_id", "VARCHAR(128)", "TEXT"),
    ("mcc", "VARCHAR(4)", "TEXT"),
    ("provider_category", "VARCHAR(128)", "TEXT"),
    ("description", "TEXT", "TEXT"),
    ("raw", "JSONB", "TEXT"),
    ("is_reversal", "BOOLEAN", "BOOL"),
    ("account", "VARCHAR(128)", "TEXT"),
    ("origin", "VARCHAR(64)", "TEXT"),
)
_COLUMN_NAMES = [name for name, _pg, _lite in _STAGING_COLUMNS]
# Columns an import writes on an existing row that changed.
_MERGED_COLUMNS = (
    "fingerprint",
    "pending_txn_id",
    *TRANSACTION_BANK_FIELDS,
    "merchant_norm",
    "descriptor_norm",
    "raw",
    "is_reversal",
)


# Columns whose change makes a row "updated" rather than a duplicate. ``raw`` and
# ``fingerprint`` are left out: the same transaction in an overlapping file carries another
# line number in its payload and may count differently among identical items, which is not a
# change of the transaction. The normalised names are derived from the bank's fields: a new
# normaliser is applied to stored rows by ``manage.py renormalise_merchants``, not by re-imports.
_COMPARED_COLUMNS = tuple(
    c
    for c in _MERGED_COLUMNS
    if c not in {"raw", "fingerprint", "merchant_norm", "descriptor_norm"}
)


# Staging columns the merge's statements join or filter on: the ones ANALYZE samples.
_ANALYZED_COLUMNS = "kind, provider_txn_id, status, pending_txn_id, account"

# Accounts remembered per file: enough to name them all in an error, bounded in memory.
_MAX_ACCOUNTS = 50
# Ids whose hashes are remembered to learn that an input repeats none (most files), so the
# two statements that deal with repeats are skipped; past this many, they always run.
# 200,000 hashes are about 10 MB.
_MAX_TRACKED_IDS = 200_000


@dataclass(slots=True)
class FileFacts:
    """What the importer learns about the whole input while it streams it to staging."""

    # ``account_key`` of the accounts the file's transactions (not its removals) belong to
    accounts: set[str] = field(default_factory=set)
    # False only when the transactions are known to repeat no id (``_MAX_TRACKED_IDS``).
    repeats: bool = False
    id_hashes: set[int] | None = field(default_factory=set)

    def saw_id(self, txn_id: str) -> None:
        hashes = self.id_hashes
        if hashes is None:
            return
        key = hash(txn_id)  # a collision only costs the check that finds no repeat
        if key in hashes or len(hashes) >= _MAX_TRACKED_IDS:
            self.repeats = True
            self.id_hashes = None
        else:
            hashes.add(key)


@dataclass(slots=True)
class _Counts:
    items: int = 0  # transactions read (removals not included)
    removals: int = 0
    new: int = 0
    updated: int = 0
    removed: int = 0


class _ItemReader:
    """Iterates the items once, counting them, and turns a source's crash into a SourceError.

    Anything a parser raises while reading the input is the input's problem as far as the
    caller is concerned (a 400, not a 500); the traceback is logged for the developers.
    """

    def __init__(self, items: Iterable[SourceItem]) -> None:
        self._items = items
        self.count = 0  # items read
        self.source_failed = False  # the source raised (its bad item was never yielded)

    def __iter__(self) -> Iterator[SourceItem]:
        iterator = iter(self._items)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except SourceError:
                self.source_failed = True
                raise
            except Exception as exc:
                self.source_failed = True
                logger.exception("source crashed after %s items", self.count)
                raise SourceError(
                    f"the input could not be read ({type(exc).__name__})",
                    line=getattr(exc, "lineno", None),
                ) from exc
            self.count += 1
            yield item


def _staging_rows(
    feed: LinkedFeed, reader: _ItemReader, facts: FileFacts | None = None
) -> Iterator[tuple]:
    """One staging row per item, in input order, with ids and merchant names resolved.

    ``facts`` collects the accounts the items name, for ``_merge`` to check.
    """
    facts = facts if facts is not None else FileFacts()
    accounts = facts.accounts
    unstable = feed.unstable_ids
    occurrences = OccurrenceCounter() if unstable else None
    merchant_cache: dict[str, str] = {}
    dumps = json.dumps
    for seq, item in enumerate(reader):
        if isinstance(item, RemovedTransaction):
            # A removal does not make a file multi-account: Plaid pages list removals of every
            # account of the item, and removing an id the feed never had does nothing.
            yield (
                (seq, "r", item.provider_txn_id)
                + (None,) * (len(_STAGING_COLUMNS) - 5)
                + (item.account, f"item {seq + 1}")
            )
            continue
        if not isinstance(item, NormalisedTransaction):
            raise SourceError(f"item {seq + 1} is not a transaction", line=None)
        if item.status not in _VALID_STATUSES:
            raise SourceError(f"unknown status {item.status!r}", field="status")
        txn_id = item.provider_txn_id
        if unstable:
            txn_id = item.fingerprint or occurrences.fingerprint(  # type: ignore[union-attr]
                booking_date=item.booking_date,
                amount=item.amount,
                currency=item.currency,
                description=item.description,
            )
        if not txn_id:
            raise SourceError(f"item {seq + 1} has no transaction id", field="provider_txn_id")
        if (
            len(txn_id) > 128
            or len(item.pending_txn_id) > 128
            or len(item.merchant_id) > 128
            or len(item.currency) != 3
            or len(item.mcc) > 4
            or len(item.provider_category) > 128
            or len(item.merchant_name) > 200
            or len(item.fingerprint) > 64
            or len(item.account) > 128
        ):
            # Sources clip their values; this only keeps a source bug from becoming a 500.
            raise SourceError(f"item {seq + 1} has a value longer than its column allows")
        name = item.merchant_name
        norm = merchant_cache.get(name)
        if norm is None:
            if len(merchant_cache) >= _MERCHANT_CACHE_SIZE:
                merchant_cache.clear()
            norm = merchant_cache[name] = normalise_merchant(name)[:200]
        account = item.account
        if account and account not in accounts and len(accounts) < _MAX_ACCOUNTS:
            accounts.add(account)
        facts.saw_id(txn_id)
        # Only where the name names no shop: the description is what scoring falls back to
        # (``accounts.normalise.transaction_names``, which the rule preview uses too).
        descriptor = "" if norm else transaction_names(name, item.description)[1]
        yield (
            seq,
            "t",
            txn_id,
            # Stored only where it is the id; elsewhere nothing reads it (narrower rows).
            txn_id if txn_id == item.fingerprint else "",
            item.pending_txn_id,
            item.status,
            str(item.amount),
            item.currency,
            item.booking_date.isoformat() if item.booking_date else None,
            item.transaction_date.isoformat() if item.transaction_date else None,
            name,
            norm,
            descriptor,
            item.merchant_id,
            item.mcc,
            item.provider_category,
            item.description,
            dumps(item.raw) if item.raw is not None else None,
            bool(item.is_reversal),
            account,
            (item.origin or f"item {seq + 1}")[:64],
        )


# --------------------------------------------------------------------------------------------
# Staging and merging
# --------------------------------------------------------------------------------------------


def _merge(
    *,
    feed: LinkedFeed,
    batch: ImportBatch,
    rows: Iterator[tuple],
    snapshot: bool,
    facts: FileFacts | None = None,
    stage: Callable[[Any, str, FileFacts], int] | None = None,
) -> _Counts:
    """Stage ``rows`` (or let ``stage(cursor, table, facts)`` fill the staging table and
    return how many transactions it staged: the PostgreSQL COPY path), then merge them."""
    dialect = current_dialect()
    postgres = dialect.postgres
    table = f"canopy_import_{uuid.uuid4().hex[:16]}"
    counts = _Counts()
    with connection.cursor() as cursor:
        # The statements below run once per import over the whole input: compiling them
        # (PostgreSQL's JIT, which the staging table's row counts trigger) costs more than
        # it saves -- seconds on a 200,000-row file (benchmarks/import_bench.py).
        for statement in dialect.set_local("jit", "off"):
            cursor.execute(statement)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        direct = getattr(stage, "direct", None)
        if direct is not None and snapshot:
            # The COPY path's import of a clean file whose ids are all new to the feed: no
            # staging, nothing to update; it removes the stale pending rows (step 5) itself.
            done = direct(cursor, feed=feed, batch=batch, now=now)
            if done is not None:
                counts.items = counts.new = done[0]
                counts.removed = done[1]
                return counts
        types = [(name, pg if postgres else lite) for name, pg, lite in _STAGING_COLUMNS]
        columns_sql = ", ".join(f"{name} {kind}" for name, kind in types)
        # ON COMMIT DROP (PostgreSQL) is the safety net; the table is also dropped explicitly
        # below, because tests (and callers inside an outer atomic block) import twice per
        # transaction.
        for statement in dialect.temp_table(table, columns_sql, drop_first=False):
            cursor.execute(statement)
        if stage is None:
            copy_rows(table, _COLUMN_NAMES, _counting(rows, counts), chunk_size=CHUNK_SIZE)
        else:
            counts.items = stage(cursor, table, facts if facts is not None else FileFacts())
        # Autovacuum never analyses temp tables; only the columns the merge joins and filters on.
        for statement in dialect.analyze(table, _ANALYZED_COLUMNS):
            cursor.execute(statement)
        # (The COPY path may have made it already, unique: ``import_copy._stage_clean``.)
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {table}_id ON {table} (provider_txn_id)")
        # 0. One account per feed, and one transaction per id.
        if facts is not None:
            own = _own_account(feed, facts.accounts)
            if own:
                # Items that name no account (a removal without account_id) are kept.
                others = "account <> '' AND account <> %s"
                cursor.execute(
                    f"SELECT kind, COUNT(*) FROM {table} WHERE {others} GROUP BY kind", [own]
                )
                for kind, number in cursor.fetchall():
                    if kind == "t":
                        counts.items -= number
                    else:
                        counts.removals -= number
                cursor.execute(f"DELETE FROM {table} WHERE {others}", [own])
        if facts is None or facts.repeats:
            _refuse_conflicts(cursor, table)
            # 1. Repeats within the input, now known to be the same transaction: the last
            # one stays.
            cursor.execute(
                f"DELETE FROM {table} WHERE kind = 't' AND EXISTS ("
                f"SELECT 1 FROM {table} later WHERE later.kind = 't'"
                f" AND later.provider_txn_id = {table}.provider_txn_id"
                f" AND later.seq > {table}.seq)"
            )
        txn = table_name(Transaction)
        outbox = table_name(ChangedTransaction)
        # 2. New rows: those whose id the feed does not hold. They come before the changed
        # rows, so that an import whose rows are all new (the everyday next statement) skips
        # step 3's comparison of the whole file with the feed's rows: ~0.4 s of 200,000 rows
        # (benchmarks/import_bench.py). The feed's row lock (held by
        # the caller) serialises imports into one feed, so a plain INSERT is safe; ON CONFLICT's
        # speculative insertion cost a second probe of the unique index per row, a third of
        # the statement (benchmarks/import_bench.py). A writer that did not take the lock
        # meets the unique constraint: an error, never a silently merged row.
        inserted = ["user_id", "feed_id", "import_batch_id", "provider", "provider_txn_id"]
        inserted += [*_MERGED_COLUMNS, "created_at", "updated_at"]
        selected = ", ".join(f"s.{column}" for column in ("provider_txn_id", *_MERGED_COLUMNS))
        insert_new = (
            f"INSERT INTO {txn} ({', '.join(inserted)})"
            f" SELECT %s, %s, %s, %s, {selected}, %s, %s FROM {table} s"
            f" WHERE s.kind = 't' AND NOT EXISTS (SELECT 1 FROM {txn} t"
            f" WHERE t.feed_id = %s AND t.provider_txn_id = s.provider_txn_id)"
        )
        insert_params: list = [feed.user_id, feed.pk, batch.pk, feed.provider, now, now, feed.pk]
        # Queue for the nightly scoring what this import booked or changed (see
        # accounts.models.ChangedTransaction): new booked rows, and booked rows it updated.
        queue_changed = (
            f"INSERT INTO {outbox} (transaction_id, user_id, reason, queued_at)"
            f" SELECT id, user_id, 'changed', %s FROM {txn}"
            f" WHERE feed_id = %s AND import_batch_id = %s AND updated_at = %s"
            f" AND created_at <> %s"
            f" AND status = 'booked'"
            f" ON CONFLICT (transaction_id) DO NOTHING"
        )
        if postgres:
            # One statement inserts the rows and queues the booked ones.
            cursor.execute(
                f"WITH inserted AS ({insert_new} RETURNING id, user_id, status),"
                f" queued AS (INSERT INTO {outbox}"
                f" (transaction_id, user_id, reason, queued_at)"
                f" SELECT id, user_id, 'new', %s FROM inserted WHERE status = 'booked')"
                f" SELECT COUNT(*) FROM inserted",
                [*insert_params, now],
            )
            counts.new = cursor.fetchone()[0]
        else:
            cursor.execute(insert_new, insert_params)
            counts.new = max(cursor.rowcount, 0)
            cursor.execute(
                f"INSERT INTO {outbox} (transaction_id, user_id, reason, queued_at)"
                f" SELECT id, user_id, 'new', %s FROM {txn}"
                f" WHERE feed_id = %s AND import_batch_id = %s AND created_at = %s"
                f" AND status = 'booked'"
                f" ON CONFLICT (transaction_id) DO NOTHING",
                [now, feed.pk, batch.pk, now],
            )
        # 3. Existing rows whose content changed; never booked -> pending, never a row the
        # source removed or a revocation erased. Only when some staged row was not new; the
        # rows step 2 inserted carry the staged values, so the comparison leaves them alone.
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE kind = 't'")
        staged = cursor.fetchone()[0]
        if staged != counts.new:
            assignments = ", ".join(f"{column} = s.{column}" for column in _MERGED_COLUMNS)
            changed = " OR ".join(
                f"{txn}.{column} IS DISTINCT FROM s.{column}" for column in _COMPARED_COLUMNS
            )
            cursor.execute(
                f"UPDATE {txn} SET {assignments}, import_batch_id = %s, updated_at = %s"
                f" FROM {table} s"
                f" WHERE {txn}.feed_id = %s AND s.kind = 't'"
                f" AND {txn}.provider_txn_id = s.provider_txn_id"
                f" AND {txn}.removed_at IS NULL AND {txn}.redacted_at IS NULL"
                f" AND NOT ({txn}.status = 'booked' AND s.status = 'pending')"
                f" AND ({changed})",
                [batch.pk, now, feed.pk],
            )
            counts.updated = max(cursor.rowcount, 0)
        if counts.updated:
            cursor.execute(queue_changed, [now, feed.pk, batch.pk, now, now])
        # 4. Removals the source sent, then pending rows that a posted item replaced.
        if counts.removals:
            cursor.execute(
                f"UPDATE {txn} SET removed_at = %s, updated_at = %s"
                f" WHERE feed_id = %s AND removed_at IS NULL AND provider_txn_id IN"
                f" (SELECT provider_txn_id FROM {table} WHERE kind = 'r')",
                [now, now, feed.pk],
            )
            counts.removed += max(cursor.rowcount, 0)
        cursor.execute(
            f"UPDATE {txn} SET removed_at = %s, updated_at = %s"
            f" WHERE feed_id = %s AND removed_at IS NULL AND status = 'pending'"
            f" AND provider_txn_id IN (SELECT pending_txn_id FROM {table}"
            f" WHERE kind = 't' AND status = 'booked' AND pending_txn_id <> '')",
            [now, now, feed.pk],
        )
        counts.removed += max(cursor.rowcount, 0)
        if snapshot and counts.items:
            # 5. Pending rows of the statement's dates that it no longer lists.
            day = "COALESCE(transaction_date, booking_date)"
            counts.removed += remove_unlisted_pending(
                cursor,
                feed_id=feed.pk,
                now=now,
                first_day=f"(SELECT MIN({day}) FROM {table} WHERE kind = 't')",
                last_day=f"(SELECT MAX({day}) FROM {table} WHERE kind = 't')",
                listed=f"EXISTS (SELECT 1 FROM {table} s WHERE s.kind = 't'"
                f" AND s.provider_txn_id = {txn}.provider_txn_id)",
            )
        if counts.removed:
            queue_removed(cursor, feed_id=feed.pk, now=now)
        cursor.execute(f"DROP TABLE {table}")
    return counts


def remove_unlisted_pending(
    cursor, *, feed_id: int, now, first_day: str, last_day: str, listed: str, params=()
) -> int:
    """The merge's step 5: a statement lists every pending item of its dates, so a pending row
    of the feed's within them that the statement does not list (``listed``, an SQL condition
    on the row, with ``params``) has booked under a new id (Berlin Group, camt.053 and CSV do
    not link the two) or was voided: it is removed. ``first_day`` and ``last_day`` are SQL of
    the statement's dates. How many rows were removed."""
    txn = table_name(Transaction)
    day = "COALESCE(transaction_date, booking_date)"
    cursor.execute(
        f"UPDATE {txn} SET removed_at = %s, updated_at = %s"
        f" WHERE feed_id = %s AND removed_at IS NULL AND status = 'pending'"
        f" AND {day} >= {first_day} AND {day} <= {last_day} AND NOT ({listed})",
        [now, now, feed_id, *params],
    )
    return max(cursor.rowcount, 0)


def queue_removed(cursor, *, feed_id: int, now) -> None:
    """The feed's rows removed at ``now`` into the scoring queue: they may have earned energy,
    which scoring reverses."""
    txn, outbox = table_name(Transaction), table_name(ChangedTransaction)
    cursor.execute(
        f"INSERT INTO {outbox} (transaction_id, user_id, reason, queued_at)"
        f" SELECT id, user_id, 'removed', %s FROM {txn}"
        f" WHERE feed_id = %s AND removed_at = %s"
        f" ON CONFLICT (transaction_id) DO UPDATE SET reason = excluded.reason",
        [now, feed_id, now],
    )


def _own_account(feed: LinkedFeed, accounts: set[str]) -> str:
    """The one account to import from a file that names ``accounts``; "" to import all.

    A feed is one account. A file of several accounts imports only the feed's own (when the
    feed's ``account_ref`` is one of them) and is refused otherwise, naming the accounts: never
    are two accounts merged into one feed. A one-account file whose IBAN is not the feed's IBAN
    is refused too.
    """
    if not accounts:
        return ""
    own = account_key(feed.account_ref)
    if own in accounts:
        return own if len(accounts) > 1 else ""
    listing = ", ".join(sorted(accounts))
    if len(accounts) > 1:
        raise SourceError(
            f"the file holds {len(accounts)} accounts ({listing}) and none is this feed's "
            f"account ({feed.account_ref}); a feed imports one account: upload each account's "
            "transactions into its own feed",
            field="account",
        )
    (theirs,) = accounts
    if is_iban(own) and is_iban(theirs):
        raise SourceError(
            f"the file is for account {theirs}, but this feed is account {own}",
            field="account",
        )
    return ""


def _refuse_conflicts(cursor, table: str) -> None:
    """Two items of one input with the same id and different content: refuse the input.

    Keeping the last would silently lose the other transaction. A later state of the same
    transaction may differ: a Plaid ``modified`` item, or a pending item that a later one
    of the input books (the last state stays, as before).
    """
    differs = " OR ".join(f"a.{c} IS DISTINCT FROM b.{c}" for c in _COMPARED_COLUMNS)
    cursor.execute(
        f"SELECT a.origin, b.origin, a.provider_txn_id,"
        f" {', '.join(f'a.{c}, b.{c}' for c in _COMPARED_COLUMNS)}"
        f" FROM {table} a JOIN {table} b"
        f" ON b.provider_txn_id = a.provider_txn_id AND b.seq > a.seq"
        f" WHERE a.kind = 't' AND b.kind = 't' AND a.status <> 'pending'"
        f" AND b.origin NOT LIKE 'modified[%%'"
        f" AND ({differs}) ORDER BY a.seq, b.seq LIMIT 1"
    )
    row = cursor.fetchone()
    if row is None:
        return
    first, second, txn_id, *values = row
    columns = [
        column
        for index, column in enumerate(_COMPARED_COLUMNS)
        if str(values[2 * index]) != str(values[2 * index + 1])
    ]
    raise SourceError(
        f"two different transactions have the same id {txn_id!r}"
        f" (they differ in {', '.join(columns) or 'content'}); nothing was imported",
        where=f"{first} and {second}",
        field="id",
    )


def _counting(rows: Iterator[tuple], counts: _Counts) -> Iterator[tuple]:
    for row in rows:
        if row[1] == "t":
            counts.items += 1
        else:
            counts.removals += 1
        yield row
