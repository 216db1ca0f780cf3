"""The PostgreSQL COPY path for CSV files: PostgreSQL parses the file, SQL normalises it.

The Python path (``accounts.integrations.sources.csv_source`` → ``import_merge``) reads ~25k
rows/s; PostgreSQL parses the same CSV ~20 times faster. On PostgreSQL, ``feed_file_import`` first
offers a CSV file to this path:

1. Python reads the header with the CSV source's own ``read_header`` and streams the rest of
   the file's bytes, untouched, into ``COPY … (FORMAT csv)`` of a temp table of text columns,
   in 1 MB chunks (memory flat in the file size). It looks at the bytes only with
   ``bytes.count``/``in``: no quote characters, one kind of line ending.
2. One SQL pass checks every row with the same rules as the CSV source (status, amount,
   currency, dates, mcc, lengths), and one ``INSERT … SELECT`` writes the importer's staging
   rows: trimmed cells, clipped names, the fingerprint (SHA-256 in SQL, the occurrence among
   identical items from a window function), ``fit_id`` for long ids, the raw payload as
   ``jsonb_build_object`` and the physical line number.
3. The merchant and descriptor normalisation stays in Python (``accounts.normalise``), applied
   to the *distinct* names and descriptions only, streamed from a server-side cursor and
   COPY'd back.

Then ``import_merge`` merges the staging table exactly as for the Python path.

The path is exact or it declines: whenever a file is not certain to give the same rows as the
Python path -- quotes (PostgreSQL and Python read a quote inside an unquoted value
differently), blank lines, mixed line endings, bytes that are not UTF-8, Unicode blanks, more
than two decimals, PostgreSQL reading another number of rows than the file has lines, and *any*
row the checks refuse -- it raises ``CopyDeclined`` inside the import's transaction (or
savepoint), everything is rolled back, and
the caller imports the file through the Python path, which then accepts it or rejects it with
its line and field. So a rejected file's error is the Python path's error by construction.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, BinaryIO

import psycopg
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.integrations.sources.base import MAX_CATEGORY_LENGTH, MAX_NAME_LENGTH, SourceError
from accounts.integrations.sources.csv_source import COLUMNS, extra_columns, read_header
from accounts.integrations.sources.currencies import _NOT_MONEY, ISO_4217
from accounts.models import ChangedTransaction, Transaction
from accounts.normalise import normalise_descriptor, normalise_merchant
from accounts.services.import_merge import FileFacts
from core.sql import table as table_name

logger = logging.getLogger(__name__)

# Bytes per read and COPY write.
READ_CHUNK = 1024 * 1024
# Distinct names/descriptions per round trip while they are normalised in Python.
_NORM_BATCH = 5_000
# Python's csv module refuses a field longer than this (csv.field_size_limit()).
_CSV_FIELD_LIMIT = 131_072
# The OccurrenceCounter's window (accounts.integrations.sources.base): it remembers the last
# this many dates, and ``_count_windows`` replays its forgetting.
_WINDOW = 32
# Rows per fetch while the dates are replayed.
_EPOCH_BATCH = 20_000
# Blanks Python's str.strip()/split() remove that are ASCII (cells hold no line breaks here).
_BLANKS = " \t\x0b\x0c\x1c\x1d\x1e\x1f"
_BLANKS_RE = r"[ \t\v\f\x1c-\x1f]+"
_CONTROLS = "\t\x0b\x0c\x1c\x1d\x1e\x1f"
# Unicode blanks str.split() knows and a byte-level check cannot see: such rows decline.
_UNICODE_BLANKS_RE = r"[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_CURRENCIES = sorted(ISO_4217 - _NOT_MONEY)
# The control characters Python's str.strip()/split() treat as blanks, as NUL (NUL itself
# declines the file before this is read).
_CONTROLS_TO_NUL = bytes.maketrans(b"\t\x0b\x0c\x1c\x1d\x1e\x1f", b"\x00" * 7)


class CopyDeclined(Exception):
    """The file is not certain to give the Python path's rows here: import it the slow way."""


class CsvCopyStager:
    """A ``stage(cursor, table, facts)`` for ``import_merge._merge`` that fills its staging
    table from the CSV ``stream`` (seekable; read from the start). ``staged``: rows staged, for
    the count of a batch the merge then rejects (two items with one id).

    ``direct(cursor, feed=…, batch=…, now=…)``, which the merge asks first, imports a clean
    file into a feed that holds no rows yet straight from the COPY'd table: no staging table,
    nothing to update or remove (``_insert_direct``)."""

    def __init__(self, stream: BinaryIO, *, unstable_ids: bool) -> None:
        self.stream = stream
        self.unstable_ids = unstable_ids
        self.staged = 0
        self._loaded: _Loaded | None = None

    def _load(self, cursor: Any) -> _Loaded:
        if self._loaded is None:
            self._loaded = _load(cursor, f"canopy_csv_{uuid.uuid4().hex[:16]}", self.stream)
        return self._loaded

    def direct(self, cursor: Any, *, feed: Any, batch: Any, now: Any) -> int | None:
        if self.unstable_ids:
            return None
        loaded = self._load(cursor)
        if not loaded.clean(cursor):
            return None
        new = _insert_direct(cursor, loaded, feed=feed, batch=batch, now=now)
        if new is not None:
            self.staged = new
        return new

    def __call__(self, cursor: Any, table: str, facts: FileFacts) -> int:
        loaded = self._load(cursor)
        if not self.unstable_ids and loaded.clean(cursor):
            self.staged = _stage_clean(cursor, table, loaded, facts)
        else:
            self.staged = _stage(cursor, table, facts, loaded, unstable_ids=self.unstable_ids)
        return self.staged


csv_copy_stager = CsvCopyStager


@dataclass
class _Loaded:
    """The file COPY'd into the temp table ``raw`` (text columns c0, c1, … and ``seq``)."""

    raw: str
    columns: list[str]
    cell: dict[str, str]  # SQL of each known column's cell, of a row ``p``
    keys: list[str]  # the raw payload's key of each column
    records: int  # records the file's lines hold
    scan: _Scan
    maps: tuple[str, str] | None = None  # the clean path's names and descriptors maps
    _has_ids: bool | None = None

    def clean(self, cursor) -> bool:
        """Clean (``_Scan``) and every row carries an id (else its fingerprint is its id:
        the general passes make it)."""
        if not self.scan.clean:
            return False
        if self._has_ids is None:
            self._has_ids = _all_have_ids(cursor, self.raw, self.cell)
        return self._has_ids


def _load(cursor, prefix: str, stream: BinaryIO) -> _Loaded:
    """Read the header as the CSV source does and COPY the rest of the file into a temp
    table of text columns, looking at the bytes only with ``bytes`` methods."""
    stream.seek(0)
    first = stream.read(READ_CHUNK)
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    end = first.find(b"\n")
    if end < 0 or b"\r" in first[: end - 1 if end > 0 else 0]:
        raise CopyDeclined("no header line, or a lone carriage return")
    crlf = end > 0 and first[end - 1 : end] == b"\r"
    try:
        header_line = first[: end + 1].decode("utf-8")
        delimiter, names, index = read_header(header_line)
    except (UnicodeDecodeError, SourceError) as exc:
        raise CopyDeclined("header") from exc
    if len(names) > 200:
        raise CopyDeclined("too many columns")
    keys = [name or f"column_{i + 1}" for i, name in enumerate(names)]
    if len(set(keys)) != len(keys) or "_line" in keys:
        raise CopyDeclined("the raw payload's keys would collide")
    raw = f"{prefix}_csv"
    # Sorts and hashes over the whole file: in memory rather than in temp files.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    columns = [f"c{i}" for i in range(len(names))]
    cursor.execute(
        f"CREATE TEMP TABLE {raw} (seq BIGINT GENERATED ALWAYS AS IDENTITY,"
        f" {', '.join(f'{c} TEXT' for c in columns)}) ON COMMIT DROP"
    )
    scan = _Scan(delimiter)
    try:
        records = _copy_file(
            raw, columns, first[end + 1 :], stream, delimiter=delimiter, crlf=crlf, scan=scan
        )
    except psycopg.Error as exc:  # a blank line, a missing or extra field, not UTF-8, ...
        raise CopyDeclined(f"PostgreSQL could not read the file: {exc}") from None
    cell = {name: f"p.{columns[i]}" for name, i in index.items()}
    return _Loaded(raw=raw, columns=columns, cell=cell, keys=keys, records=records, scan=scan)


def _stage(cursor, table: str, facts: FileFacts, loaded: _Loaded, *, unstable_ids: bool) -> int:
    """The general passes: trim, check, fingerprint, normalise, stage."""
    raw, columns, cell, keys, records = (
        loaded.raw,
        loaded.columns,
        loaded.cell,
        loaded.keys,
        loaded.records,
    )
    cursor.execute(f"SELECT COUNT(*) FROM {raw}")
    if cursor.fetchone()[0] != records:
        raise CopyDeclined("PostgreSQL read another number of rows than the file has lines")
    _parse(cursor, raw, columns)
    _check(cursor, raw, cell, columns)
    names_map = f"{table}_names"
    descriptors_map = f"{table}_descriptors"
    texts_map = f"{table}_texts"
    _normalise_names(cursor, raw, cell, names_map, descriptors_map, texts_map)
    _count_windows(cursor, raw)
    staged = _insert_staging(
        cursor,
        table,
        raw,
        cell,
        keys,
        names_map,
        descriptors_map,
        f"{raw}_epochs",
        unstable_ids=unstable_ids,
    )
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} GROUP BY provider_txn_id HAVING COUNT(*) > 1)"
    )
    facts.repeats = bool(cursor.fetchone()[0])
    facts.id_hashes = None
    # ON COMMIT DROP is the safety net; an import inside an outer transaction (a background
    # job) should not keep them until it commits.
    for name in (
        f"{raw}_occ",
        raw,
        f"{raw}_p",
        f"{raw}_keys",
        f"{raw}_epochs",
        names_map,
        descriptors_map,
        texts_map,
    ):
        cursor.execute(f"DROP TABLE {name}")
    return staged


class _Scan:
    """What the bytes sent to COPY hold, learnt with C-speed ``bytes`` methods while they
    stream: whether the file is *clean* (ASCII, no control characters, no cell starting or
    ending with a blank, no line longer than the csv module's field limit), so SQL can skip
    trimming every cell and the Unicode checks (``_insert_clean``)."""

    __slots__ = ("ascii", "controls", "delimiter", "double_spaces", "edges", "long_lines", "tail")

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter.encode()
        self.ascii = True
        self.controls = False
        self.edges = False
        self.double_spaces = False
        self.long_lines = False
        self.tail = b"\n"  # the byte before the data: a line starts there

    def feed(self, body: bytes) -> None:
        data = self.tail + body
        self.tail = body[-1:]
        if self.ascii and not body.isascii():
            self.ascii = False
        if not self.controls and b"\x00" in body.translate(_CONTROLS_TO_NUL):
            self.controls = True
        if not self.edges:
            d = self.delimiter
            self.edges = any(edge in data for edge in (b" " + d, d + b" ", b" \n", b"\n ", b" \r"))
        if not self.double_spaces and b"  " in data:
            self.double_spaces = True
        # A line break in every quarter of the csv module's field limit: no line, so no
        # field, can reach the limit (across two writes either).
        if not self.long_lines:
            step = _CSV_FIELD_LIMIT // 4
            self.long_lines = any(
                body.find(b"\n", start, start + step) < 0
                for start in range(0, len(body) - step, step)
            )

    def end(self) -> None:
        if self.tail == b" ":
            self.edges = True

    @property
    def clean(self) -> bool:
        return self.ascii and not (self.controls or self.edges or self.long_lines)


def _all_have_ids(cursor, raw: str, cell: dict[str, str]) -> bool:
    cursor.execute(
        f"SELECT NOT EXISTS (SELECT 1 FROM {raw} p WHERE {cell['transaction_id']} IS NULL)"
    )
    return bool(cursor.fetchone()[0])


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

    def day(name: str) -> str:
        # Ten characters that print back as written are YYYY-MM-DD: not 'infinity', nor a
        # BC date ('... BC'), nor a year past 9999, all of which PostgreSQL reads.
        value = cell[name]
        return f"({value} IS NULL OR (length({value}) = 10 AND {value}::date::text = {value}))"

    amount, status, currency = cell["amount"], f"lower({cell['status']})", cell["currency"]
    mcc = cell["mcc"]
    checks = " AND ".join(
        [
            f"{status} IN ('booked', 'pending')",
            # 'NaN' is the one text PostgreSQL's numeric reads and prints back that is not
            # a number.
            f"(({amount}::numeric(14, 2)::text = {amount} AND {amount} <> 'NaN')"
            rf" OR {amount} ~ '^[+-]?([0-9]{{1,12}}(\.[0-9]{{0,2}})?|\.[0-9]{{1,2}})$')",
            f"upper({currency}) IN ({', '.join(repr(c) for c in _CURRENCIES)})",
            day("booking_date"),
            day("transaction_date"),
            f"NOT ({status} = 'booked' AND {cell['booking_date']} IS NULL)",
            f"({mcc} IS NULL OR (length({mcc}) = 4 AND {mcc} ~ '^[0-9]{{4}}$'))",
            f"length({text('merchant_id')}) <= 128",
        ]
    )
    name = clipped("merchant_name", MAX_NAME_LENGTH)
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
        f"SELECT p.seq, CASE WHEN length({txn_id}) <= 128 THEN {txn_id}"
        f" ELSE 'h:' || encode(sha256(convert_to({txn_id}, 'UTF8')), 'hex') END,"
        f" {status}, {amount}::numeric(14, 2), upper({currency}),"
        f" {cell['booking_date']}::date, {cell['transaction_date']}::date, {name}, n.norm,"
        # The descriptor only where the name names no shop: a lookup of those rows only,
        # not a hash of every row's description.
        f" CASE WHEN n.norm = '' THEN COALESCE((SELECT d.norm FROM {descriptors} d"
        f" WHERE d.name = {text('description')}), '') ELSE '' END, {text('merchant_id')},"
        f" {text('mcc')}, {clipped('category', MAX_CATEGORY_LENGTH)}, {text('description')},"
        f" {raw_json}"
        f" FROM {raw} p JOIN {names} n ON n.name = {name}"
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


def _insert_direct(cursor, loaded: _Loaded, *, feed: Any, batch: Any, now: Any) -> int | None:
    """A clean file into a feed that holds no rows yet (its first import, a new account's
    history): straight from the COPY'd table into the transactions table and the scoring
    queue in one statement. None (nothing written) when the feed holds rows, or the file
    repeats an id (the unique ``(feed_id, provider_txn_id)`` says so): the staging merge deals
    with those.

    Nothing else of the merge applies to an empty feed: no row to update, no removal (the CSV
    format has none), no stale pending row. The caller holds the feed's row lock.
    """
    txn = table_name(Transaction)
    outbox = table_name(ChangedTransaction)
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {txn} WHERE feed_id = %s)", [feed.pk])
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
    _drop_loaded(cursor, loaded)
    return new


def _copy_file(
    raw: str,
    columns: list[str],
    rest: bytes,
    stream: BinaryIO,
    *,
    delimiter: str,
    crlf: bool,
    scan: _Scan,
) -> int:
    """COPY the data lines into ``raw``; the number of records they hold."""
    statement = (
        f"COPY {raw} ({', '.join(columns)}) FROM STDIN"
        f" (FORMAT csv, DELIMITER '{delimiter}', ENCODING 'UTF8')"
    )
    newlines = 0
    sent = 0
    held = b""
    connection.ensure_connection()
    with connection.connection.cursor() as pg, pg.copy(statement) as copy:
        chunk = rest
        while True:
            if chunk:
                if b'"' in chunk or b"\x00" in chunk:
                    raise CopyDeclined("quotes or NUL bytes")
                chunk = held + chunk
                # Line breaks at the end wait for what follows: trailing blank lines are
                # skipped by the Python path, and PostgreSQL needs no final line break.
                body = chunk.rstrip(b"\r\n")
                held = chunk[len(body) :]
                if body:
                    lf = body.count(b"\n")
                    cr = body.count(b"\r")
                    if cr != (lf if crlf else 0) or (crlf and body.count(b"\r\n") != lf):
                        raise CopyDeclined("mixed line endings")
                    newlines += lf
                    sent += len(body)
                    scan.feed(body)
                    copy.write(body)
            chunk = stream.read(READ_CHUNK)
            if not chunk:
                break
    scan.end()
    return newlines + 1 if sent else 0


def _parse(cursor, raw: str, columns: list[str]) -> None:
    """Trim every cell as ``str.strip`` does (rows with Unicode blanks decline in ``_check``)."""
    trimmed = ", ".join(f"btrim(COALESCE({c}, ''), %(blanks)s) AS {c}" for c in columns)
    # Regexes only where they can match: ASCII rows (octet_length = length) hold no Unicode
    # blank, and translate() finds the control characters in one pass.
    cursor.execute(
        f"CREATE TEMP TABLE {raw}_p ON COMMIT DROP AS SELECT seq, {trimmed},"
        f" GREATEST({', '.join(f'length(COALESCE({c}, {chr(39) * 2}))' for c in columns)})"
        f" AS longest, CASE WHEN octet_length(r.whole) = length(r.whole) THEN false"
        f" ELSE r.whole ~ %(unicode)s END AS odd_blanks,"
        f" length(translate(r.whole, %(controls)s, '')) <> length(r.whole) AS controls"
        f" FROM (SELECT *, concat({', '.join(columns)}) AS whole FROM {raw}) r",
        {"blanks": _BLANKS, "unicode": _UNICODE_BLANKS_RE, "controls": _CONTROLS},
    )


def _date_ok(value: str) -> str:
    """SQL: ``value`` is '' or a valid ``YYYY-MM-DD`` (what ``parse_iso_date`` accepts)."""
    return (
        f"({value} = '' OR CASE WHEN {value} ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])-[0-3][0-9]$'"
        f" AND left({value}, 4) <> '0000' AND substr({value}, 9, 2) <> '00'"
        f" THEN substr({value}, 9, 2)::int <= EXTRACT(DAY FROM make_date(left({value}, 4)::int,"
        f" substr({value}, 6, 2)::int, 1) + INTERVAL '1 month - 1 day') ELSE false END)"
    )


def _check(cursor, raw: str, cell: dict[str, str], columns: list[str]) -> None:
    """Decline unless every row passes the CSV source's checks; then the typed keys table."""
    status = f"lower({cell['status']})"
    amount = cell["amount"]
    ok = " AND ".join(
        [
            "NOT p.odd_blanks",
            f"p.longest <= {_CSV_FIELD_LIMIT}",
            # ASCII, and booked or pending once lower-cased: letters only
            f"octet_length({cell['status']}) = length({cell['status']})"
            f" AND {status} IN ('booked', 'pending')",
            rf"{amount} ~ '^[+-]?([0-9]{{1,12}}(\.[0-9]{{0,2}})?|\.[0-9]{{1,2}})$'",
            f"octet_length({cell['currency']}) = 3"
            f" AND upper({cell['currency']}) = ANY(%(currencies)s)",
            _date_ok(cell["booking_date"]),
            _date_ok(cell["transaction_date"]),
            f"NOT ({status} = 'booked' AND {cell['booking_date']} = '')",
            f"({cell['mcc']} = '' OR {cell['mcc']} ~ '^[0-9]{{4}}$')",
            f"length({cell['merchant_id']}) <= 128",
        ]
    )
    cursor.execute(
        f"SELECT p.seq + 1 FROM {raw}_p p WHERE NOT ({ok}) ORDER BY p.seq LIMIT 1",
        {"currencies": _CURRENCIES},
    )
    bad = cursor.fetchone()
    if bad is not None:
        raise CopyDeclined(f"line {bad[0]} does not pass the checks")
    day = (
        f"COALESCE(NULLIF({cell['booking_date']}, ''), NULLIF({cell['transaction_date']}, ''), '')"
    )
    source = f"{cell['merchant_name']} || ' ' || {cell['description']}"
    cursor.execute(
        f"CREATE TEMP TABLE {raw}_keys ON COMMIT DROP AS SELECT p.seq, {day} AS fp_date,"
        f" CASE WHEN {amount}::numeric = 0 AND left({amount}, 1) = '-' THEN '-0.00'"
        f" ELSE ({amount}::numeric(16, 2))::text END AS fp_amount,"
        f" upper({cell['currency']}) AS currency, {source} AS fp_source,"
        f" CASE WHEN octet_length({source}) = length({source})"
        f" THEN lower(btrim({_collapse(source)}, ' '))"
        f" END AS fp_key FROM {raw}_p p"
    )


def _normalise_names(
    cursor, raw: str, cell: dict[str, str], names: str, descriptors: str, texts: str
) -> None:
    """Python's normalisers over the distinct values only, COPY'd back into three maps."""
    clipped = _clip(cell["merchant_name"], MAX_NAME_LENGTH)
    cursor.execute(f"CREATE TEMP TABLE {names} (name TEXT PRIMARY KEY, norm TEXT) ON COMMIT DROP")
    _map(
        f"SELECT DISTINCT {clipped} FROM {raw}_p p",
        names,
        lambda name: normalise_merchant(name)[:200],
    )
    cursor.execute(
        f"CREATE TEMP TABLE {descriptors} (name TEXT PRIMARY KEY, norm TEXT) ON COMMIT DROP"
    )
    _map(
        f"SELECT DISTINCT {cell['description']} FROM {raw}_p p JOIN {names} n"
        f" ON n.name = {clipped} WHERE n.norm = ''",
        descriptors,
        lambda text: normalise_descriptor(text)[:200],
    )
    # Fingerprint keys of non-ASCII text: Python's lower() and split(), not the database's.
    cursor.execute(f"CREATE TEMP TABLE {texts} (name TEXT PRIMARY KEY, norm TEXT) ON COMMIT DROP")
    _map(
        f"SELECT DISTINCT fp_source FROM {raw}_keys WHERE fp_key IS NULL",
        texts,
        lambda text: " ".join(text.lower().split()),
    )
    cursor.execute(
        f"UPDATE {raw}_keys k SET fp_key = t.norm FROM {texts} t"
        f" WHERE k.fp_key IS NULL AND t.name = k.fp_source"
    )


def _count_windows(cursor, raw: str) -> str:
    """The ``OccurrenceCounter``'s forgetting, replayed: a table of (seq, epoch) for the rows
    whose date the counter had forgotten and started counting afresh, ``epoch`` times so far.

    The counter remembers the last ``_WINDOW`` dates; identical items count up within one
    remembered stretch of a date. Only the dates stream through Python (in file order), and
    only when some item repeats another of its date; sorted files write no rows here.
    """
    epochs = f"{raw}_epochs"
    cursor.execute(f"CREATE TEMP TABLE {epochs} (seq BIGINT, epoch INT) ON COMMIT DROP")
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {raw}_keys GROUP BY fp_date, fp_amount, currency,"
        f" fp_key HAVING COUNT(*) > 1)"
    )
    if not cursor.fetchone()[0]:
        return epochs
    pg_connection = connection.connection
    remembered: OrderedDict[str, None] = OrderedDict()
    forgotten: dict[str, int] = {}  # date -> times it was counted afresh after being forgotten
    with pg_connection.cursor(name=f"{epochs}_read") as reader:
        reader.itersize = _EPOCH_BATCH
        reader.execute(f"SELECT seq, fp_date FROM {raw}_keys ORDER BY seq")
        while batch := reader.fetchmany(_EPOCH_BATCH):
            fresh: list[tuple[int, int]] = []
            for seq, day in batch:
                if day in remembered:
                    remembered.move_to_end(day)
                else:
                    remembered[day] = None
                    forgotten[day] = forgotten[day] + 1 if day in forgotten else 0
                    if len(remembered) > _WINDOW:
                        remembered.popitem(last=False)
                if forgotten[day]:
                    fresh.append((seq, forgotten[day]))
            if fresh:  # between two fetches of the server-side cursor
                with (
                    pg_connection.cursor() as writer,
                    writer.copy(f"COPY {epochs} (seq, epoch) FROM STDIN") as copy,
                ):
                    for row in fresh:
                        copy.write_row(row)
    return epochs


def _map(query: str, table: str, function) -> None:
    """Stream ``query``'s distinct values through ``function`` into ``table`` (name, norm)."""
    pg_connection = connection.connection
    with pg_connection.cursor(name=f"{table}_read") as reader:
        reader.itersize = _NORM_BATCH
        reader.execute(query)
        while batch := reader.fetchmany(_NORM_BATCH):
            with (
                pg_connection.cursor() as writer,
                writer.copy(f"COPY {table} (name, norm) FROM STDIN") as copy,
            ):
                for (value,) in batch:
                    copy.write_row((value, function(value)))


def _clip(value: str, limit: int) -> str:
    """SQL for ``base.clip`` of a trimmed ASCII-blank value (of a row of ``{raw}_p p``)."""
    return f"left({_collapse(value)}, {limit})"


def _collapse(value: str) -> str:
    """SQL: runs of blanks as one space; the regex only where there is something to do."""
    return (
        f"CASE WHEN NOT p.controls AND strpos({value}, '  ') = 0 THEN {value}"
        f" ELSE regexp_replace({value}, '{_BLANKS_RE}', ' ', 'g') END"
    )


def _insert_staging(
    cursor,
    table: str,
    raw: str,
    cell: dict[str, str],
    keys: list[str],
    names: str,
    descriptors: str,
    epochs: str,
    *,
    unstable_ids: bool,
) -> int:
    # The occurrence among identical items of one date (and one remembered stretch of it),
    # computed on a narrow table and kept only where it is not 0.
    occurrences = f"{raw}_occ"
    cursor.execute(
        f"CREATE TEMP TABLE {occurrences} ON COMMIT DROP AS SELECT seq, occ FROM"
        f" (SELECT k.seq, ROW_NUMBER() OVER (PARTITION BY k.fp_date, COALESCE(e.epoch, 0),"
        f" k.fp_amount, k.currency, k.fp_key ORDER BY k.seq) - 1 AS occ"
        f" FROM {raw}_keys k LEFT JOIN {epochs} e ON e.seq = k.seq) o WHERE occ > 0"
    )
    fingerprint = (
        "'fp:' || left(encode(sha256(convert_to(k.fp_date || '|' || k.fp_amount || '|'"
        " || k.currency || '|' || k.fp_key || '|' || COALESCE(o.occ, 0), 'UTF8')), 'hex'), 40)"
    )
    txn_id = cell["transaction_id"]
    fitted = (
        f"CASE WHEN length({txn_id}) <= 128 THEN {txn_id}"
        f" ELSE 'h:' || encode(sha256(convert_to({txn_id}, 'UTF8')), 'hex') END"
    )
    provider_txn_id = (
        "f.fingerprint"
        if unstable_ids
        else "CASE WHEN f.tid <> '' THEN f.fitted ELSE f.fingerprint END"
    )
    # jsonb_build_object takes at most 100 arguments: 40 pairs per call, joined with ||.
    pairs = [f"'{keys[i].replace(chr(39), chr(39) * 2)}', p.c{i}" for i in extra_columns(keys)]
    pairs.append("'_line', p.seq + 1")
    raw_json = " || ".join(
        f"jsonb_build_object({', '.join(pairs[i : i + 40])})" for i in range(0, len(pairs), 40)
    )
    name = _clip(cell["merchant_name"], MAX_NAME_LENGTH)
    cursor.execute(
        f"INSERT INTO {table} (seq, kind, provider_txn_id, fingerprint, pending_txn_id, status,"
        f" amount, currency, booking_date, transaction_date, merchant_name, merchant_norm,"
        f" descriptor_norm, merchant_id, mcc, provider_category, description, raw, is_reversal,"
        f" account, origin)"
        f" SELECT f.seq, 't', {provider_txn_id},"
        f" CASE WHEN {provider_txn_id} = f.fingerprint THEN f.fingerprint ELSE '' END,"
        f" '', f.status, f.amount,"
        f" f.currency, f.booking_date, f.transaction_date, f.name, n.norm,"
        f" CASE WHEN n.norm = '' THEN COALESCE(d.norm, '') ELSE '' END, f.merchant_id, f.mcc,"
        f" f.category, f.description, f.raw, false, '', 'line ' || (f.seq + 1)"
        f" FROM (SELECT p.seq, {fingerprint} AS fingerprint, {txn_id} AS tid,"
        f" {fitted} AS fitted, lower({cell['status']}) AS status,"
        f" {cell['amount']}::numeric(14, 2) AS amount, k.currency,"
        f" NULLIF({cell['booking_date']}, '')::date AS booking_date,"
        f" NULLIF({cell['transaction_date']}, '')::date AS transaction_date,"
        f" {name} AS name, {cell['merchant_id']} AS merchant_id, {cell['mcc']} AS mcc,"
        f" {_clip(cell['category'], MAX_CATEGORY_LENGTH)} AS category,"
        f" {cell['description']} AS description, {raw_json} AS raw"
        f" FROM {raw}_p p JOIN {raw}_keys k ON k.seq = p.seq"
        f" LEFT JOIN {occurrences} o ON o.seq = p.seq) f"
        f" JOIN {names} n ON n.name = f.name"
        f" LEFT JOIN {descriptors} d ON d.name = f.description",
    )
    return cursor.rowcount


__all__ = ["COLUMNS", "CopyDeclined", "CsvCopyStager", "csv_copy_stager"]
